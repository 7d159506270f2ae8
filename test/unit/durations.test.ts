/**
 * Durations as users write them: Temporal duration strings or milliseconds, bounded and named by field.
 */
import { MAX_DURATION_MS, parseDuration } from '../../src/domain/durations';
import { InvalidArgumentError } from '../../src/domain/invalid-argument';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function refusal(value: unknown, min?: number): InvalidArgumentError {
  try {
    parseDuration('timeout', value, min);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe('timeout');
    return err as InvalidArgumentError;
  }
  throw new Error(`expected ${String(value)} to be refused`);
}

describe('parseDuration', () => {
  it.each([
    ['30s', 30 * SECOND],
    ['10m', 10 * MINUTE],
    ['2h', 2 * HOUR],
    ['1 day', DAY],
    ['1.5s', 1_500],
    ['250ms', 250],
    ['1000', 1_000],
  ])('reads the string %p as %p ms', (value, ms) => {
    expect(parseDuration('timeout', value)).toBe(ms);
  });

  it.each([
    [1, 1],
    [30_000, 30_000],
    [1.4, 1],
    [1.6, 2],
  ])('reads the number %p as %p ms, rounded', (value, ms) => {
    expect(parseDuration('timeout', value)).toBe(ms);
  });

  it('accepts exactly 366 days, and refuses more', () => {
    expect(MAX_DURATION_MS).toBe(366 * DAY);
    expect(parseDuration('timeout', '366d')).toBe(MAX_DURATION_MS);
    expect(refusal('367d').message).toMatch(/must be at most 366 days/);
    expect(refusal(MAX_DURATION_MS + 1).message).toMatch(/must be at most 366 days/);
  });

  it('refuses less than the minimum, 1 ms by default', () => {
    expect(refusal(0).message).toMatch(/must be at least 1 ms/);
    expect(refusal('0s').message).toMatch(/must be at least 1 ms/);
    expect(refusal(-5).message).toMatch(/must be at least 1 ms/);
    expect(refusal('-5s').message).toMatch(/must be at least 1 ms/);
    expect(refusal(0.4).message).toMatch(/must be at least 1 ms/);
  });

  it('accepts zero when the minimum is 0', () => {
    expect(parseDuration('notFoundGracePeriod', '0s', 0)).toBe(0);
    expect(parseDuration('notFoundGracePeriod', 0, 0)).toBe(0);
  });

  it.each([
    ['abc'],
    [''],
    ['  '],
    ['soon'],
    ['1 fortnight'],
    ['x'.repeat(33)],
    [null],
    [true],
    [{ seconds: 1 }],
    [['1s']],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
  ])('refuses %p as not a duration', (value) => {
    expect(refusal(value).message).toMatch(
      /must be a duration such as "30s", "10m" or "2h", or a number of milliseconds/,
    );
  });

  it('refuses a long string without echoing it whole', () => {
    const err = refusal('1'.repeat(10_000));
    expect(err.message.length).toBeLessThan(250);
  });
});
