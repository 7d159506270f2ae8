import { InvalidArgumentError } from '../../src/domain/invalid-argument';
import { LineLogger, logFormatFromEnv } from '../../src/temporal/log-format';

function logged(format: 'text' | 'json', level: 'INFO' | 'WARN' = 'INFO'): { logger: LineLogger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new LineLogger(format, (line) => lines.push(line), level), lines };
}

test('text: one line per event, time, level and message, then key=value fields (quoted when not one word)', () => {
  const { logger, lines } = logged('text');
  logger.info('cancel answered\nagain', {
    operation: 'https://alloydb.googleapis.com/v1/projects/p/locations/l/operations/o',
    result: 'accepted',
    note: 'two words',
    attempt: 2,
    taskToken: 'c2VjcmV0',
    error: new Error('boom'),
  });
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}cancel answered again operation=https:\/\/alloydb\.googleapis\.com\/v1\/projects\/p\/locations\/l\/operations\/o result=accepted note="two words" attempt=2 error="boom"$/,
  );
});

test('json: one object a line with the fields at the top level; below the level, nothing', () => {
  const { logger, lines } = logged('json', 'WARN');
  logger.info('quiet');
  logger.warn('GET failed', { operation: 'x', code: 'UNAVAILABLE', taskToken: 't', error: new Error('reset') });
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0] ?? '')).toEqual({
    time: expect.stringMatching(/Z$/),
    level: 'WARN',
    message: 'GET failed',
    operation: 'x',
    code: 'UNAVAILABLE',
    error: { name: 'Error', message: 'reset' },
  });
});

test('LRO_LOG_FORMAT: text by default, json on request, anything else refused naming the variable', () => {
  expect(logFormatFromEnv({})).toBe('text');
  expect(logFormatFromEnv({ LRO_LOG_FORMAT: ' JSON ' })).toBe('json');
  expect(() => logFormatFromEnv({ LRO_LOG_FORMAT: 'xml' })).toThrow(InvalidArgumentError);
  expect(() => logFormatFromEnv({ LRO_LOG_FORMAT: 'xml' })).toThrow(/^LRO_LOG_FORMAT: must be text or json/);
});

test("an event's own time, level or message does not replace ours; a cycle costs its field, not the line", () => {
  const { logger, lines } = logged('json');
  const cycle: Record<string, unknown> = { name: 'a' };
  cycle['self'] = cycle;
  logger.info('real', { message: 'forged', level: 'ERROR', cycle, operation: 'x' });
  const event = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  expect(event).toMatchObject({ level: 'INFO', message: 'real', operation: 'x' });
  expect(typeof event['cycle']).toBe('string');
  const text = logged('text');
  text.logger.info('one\rtwo', { note: 'a\rb' });
  expect(text.lines).toHaveLength(1);
  expect(text.lines[0]).not.toMatch(/\r/);
});
