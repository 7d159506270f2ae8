import { InvalidArgumentError } from '../../src/domain/invalid-argument';
import { DEFAULT_POLL_SCHEDULE, POLL_SCHEDULES } from '../../src/domain/backoff';
import { validateBulkInput } from '../../src/domain/bulk-input';

const URL_A = 'https://alloydb.googleapis.com/v1beta/projects/p/locations/l/operations/a';
const URL_B = 'https://alloydb.googleapis.com/v1beta/projects/p/locations/l/operations/b';
const SELECT = { service: 'alloydb.googleapis.com', apiVersion: 'v1beta', parent: 'projects/p/locations/l' };

function refusal(input: unknown): { field: string; rule: string } {
  try {
    validateBulkInput(input);
  } catch (err) {
    if (err instanceof InvalidArgumentError) return { field: err.field, rule: err.rule };
    throw err;
  }
  throw new Error('accepted');
}

test('a list: canonical URLs without repeats, names with service and apiVersion, and the defaults', () => {
  const settings = validateBulkInput({
    operations: [URL_A, 'projects/p/locations/l/operations/b', URL_A.replace('alloydb', 'ALLOYDB')],
    service: 'alloydb.googleapis.com',
    apiVersion: 'v1beta',
  });
  expect(settings.refs?.map((ref) => ref.url)).toEqual([URL_A, URL_B]);
  expect(settings).toMatchObject({
    dryRun: false,
    concurrency: 10,
    cancelsPerSecond: 5,
    timeoutMs: 3_600_000,
    notFoundGraceMs: 30_000,
    mode: 'get',
    maxOperations: 10_000,
    schedule: DEFAULT_POLL_SCHEDULE,
  });
});

test('a selector: running only by default; filter and conditions kept; the parent checked as an operation name', () => {
  expect(validateBulkInput({ select: SELECT }).select).toEqual({ ...SELECT, notDone: true });
  const settings = validateBulkInput({
    select: {
      ...SELECT,
      filter: 'done = false',
      createdBefore: '2026-11-30T09:00:00Z',
      metadataType: 't',
      notDone: false,
    },
    poll: { schedule: 'prompt', mode: 'wait' },
    dryRun: true,
  });
  expect(settings.select).toMatchObject({
    filter: 'done = false',
    createdBefore: '2026-11-30T09:00:00Z',
    notDone: false,
  });
  expect(settings).toMatchObject({ dryRun: true, mode: 'wait', schedule: POLL_SCHEDULES.prompt });
  expect(validateBulkInput({ select: { ...SELECT, parent: 'projects/p/locations/-' } }).select?.parent).toBe(
    'projects/p/locations/-',
  );
  expect(validateBulkInput({ select: { ...SELECT, parent: '' } }).select?.parent).toBe('');
  expect(
    validateBulkInput({ select: { ...SELECT, filter: 'done=false AND metadata.@type = "t"' } }).select?.filter,
  ).toBe('done=false AND metadata.@type = "t"');
  // One selector typed two ways is one set: the host as the gate canonicalises it.
  expect(validateBulkInput({ select: { ...SELECT, service: 'https://AlloyDB.googleapis.com' } }).select?.service).toBe(
    'alloydb.googleapis.com',
  );
});

test.each([
  [{}, 'operations', /exactly one/],
  [{ operations: [URL_A], select: SELECT }, 'operations', /exactly one/],
  [{ operations: URL_A }, 'operations', /list/],
  [
    { operations: [URL_A, 'http://alloydb.googleapis.com/v1/projects/p/locations/l/operations/x'] },
    'operations[1]',
    /https/,
  ],
  [
    { operations: [URL_A, 'https://alloydb.googleapis.com/v1beta/projects/p/instances/i'] },
    'operations[1]',
    /operation/,
  ],
  [{ operations: ['projects/p/locations/l/operations/a'] }, 'service', /required/],
  [{ operations: [URL_A, URL_B], maxOperations: 1 }, 'operations', /at most maxOperations/],
  [{ select: { ...SELECT, parent: 'projects/p/../x' } }, 'select.parent', /\.\./],
  [{ select: { ...SELECT, parent: 'projects/p?x=1' } }, 'select.parent', /.+/],
  [{ select: { ...SELECT, service: 'evil.example/x' } }, 'select.service', /.+/],
  [{ select: { ...SELECT, apiVersion: 'latest' } }, 'select.apiVersion', /v<N>/],
  [{ select: { ...SELECT, createdBefore: 'yesterday' } }, 'select.createdBefore', /RFC 3339/],
  [{ select: { ...SELECT, notDone: 'yes' } }, 'select.notDone', /true or false/],
  [{ select: { ...SELECT, limit: 3 } }, 'select.limit', /not a field/],
  [{ select: { ...SELECT, filter: 'name = "x"' } }, 'select.filter', /check on every listed operation/],
  [{ select: { ...SELECT, filter: 'metadata.target.id = "x"' } }, 'select.filter', /top-level field/],
  [{ select: { ...SELECT, filter: 'done = false OR done = true' } }, 'select.filter', /joined by AND/],
  [{ select: SELECT, service: 'alloydb.googleapis.com' }, 'service', /select.service/],
  [{ select: SELECT, concurrency: 0 }, 'concurrency', /1 to 500/],
  [{ select: SELECT, concurrency: 2.5 }, 'concurrency', /whole number/],
  [{ select: SELECT, cancelsPerSecond: 0 }, 'cancelsPerSecond', /above 0/],
  [{ select: SELECT, cancelsPerSecond: 5_000 }, 'cancelsPerSecond', /at most 1000/],
  [{ select: SELECT, timeout: 'soon' }, 'timeout', /duration/],
  [{ select: SELECT, poll: { mode: 'push' } }, 'poll.mode', /get or wait/],
  [{ select: SELECT, poll: { schedule: 'fast' } }, 'poll.schedule', /one of/],
  [{ select: SELECT, maxOperations: 100_000 }, 'maxOperations', /1 to 50000/],
  [{ select: SELECT, impersonate: 'Not An Email' }, 'impersonate', /service-account email/],
  [{ select: SELECT, dryRun: 'yes' }, 'dryRun', /true or false/],
  [{ select: SELECT, extra: 1 }, 'extra', /not a field/],
])('refuses %j: %s', (input, field, rule) => {
  const refused = refusal(input);
  expect(refused.field).toBe(field);
  expect(refused.rule).toMatch(rule);
});
