import {
  afterObservation,
  afterSend,
  countOutcomes,
  expire,
  markRead,
  overdue,
  type OpState,
} from '../../src/domain/bulk-progress';

const RULES = { timeoutMs: 10_000, notFoundGraceMs: 1_000, resendDelayMs: 2_000 };
const fresh = (): OpState => ({ s: 'send' });

test('an accepted cancel waits; only a done operation ends it, with its outcome', () => {
  const op = fresh();
  afterSend(op, { answer: { result: 'accepted' } }, 0, RULES);
  expect(op).toEqual({ s: 'wait', a: true, d: 10_000, rt: 0 });
  afterObservation(op, { i: 0, state: 'running' }, 100, RULES);
  expect(op.s).toBe('wait');
  afterObservation(op, { i: 0, state: 'cancelled', error: { code: 1, status: 'CANCELLED', message: 'x' } }, 200, RULES);
  expect(op).toMatchObject({ s: 'done', o: 'CANCELLED' });
  for (const [state, outcome] of [
    ['succeeded', 'COMPLETED'],
    ['done-without-result', 'COMPLETED'],
    ['failed', 'FAILED'],
  ] as const) {
    const other: OpState = { s: 'wait', a: true };
    afterObservation(other, { i: 0, state }, 0, RULES);
    expect(other.o).toBe(outcome);
  }
});

test('UNIMPLEMENTED ends at once; a non-retryable failure is ERROR; a retryable one is sent again', () => {
  const unimplemented = fresh();
  afterSend(unimplemented, { answer: { result: 'UNIMPLEMENTED', message: 'no' } }, 0, RULES);
  expect(unimplemented).toMatchObject({ s: 'done', o: 'UNIMPLEMENTED', e: { code: 12, status: 'UNIMPLEMENTED' } });
  const denied = fresh();
  afterSend(
    denied,
    { failed: { code: 'PERMISSION_DENIED', message: 'LRO_ALLOWED_SERVICES', retryable: false } },
    0,
    RULES,
  );
  expect(denied).toMatchObject({ s: 'done', o: 'ERROR', e: { code: 7 } });
  const busy = fresh();
  afterSend(busy, { failed: { code: 'UNAVAILABLE', message: 'busy', retryable: true } }, 0, RULES);
  expect(busy).toMatchObject({ s: 'send', e: { status: 'UNAVAILABLE' }, nb: 2_000 });
  // The delay Google asked for, within [1 s, 5 min], and never shorter than the schedule's.
  const hinted = fresh();
  afterSend(
    hinted,
    { failed: { code: 'RESOURCE_EXHAUSTED', message: 'q', retryable: true, retryDelayMs: 30_000 } },
    0,
    RULES,
  );
  expect(hinted.nb).toBe(30_000);
  const capped = fresh();
  afterSend(
    capped,
    { failed: { code: 'RESOURCE_EXHAUSTED', message: 'q', retryable: true, retryDelayMs: 3_600_000 } },
    0,
    RULES,
  );
  expect(capped.nb).toBe(300_000);
});

test('FAILED_PRECONDITION is NOT_CANCELLABLE only while running with no cancel under way', () => {
  const underWay = fresh();
  afterSend(underWay, { answer: { result: 'FAILED_PRECONDITION', message: 'p' } }, 0, RULES);
  afterObservation(underWay, { i: 0, state: 'running', cancelRequested: true }, 10, RULES);
  expect(underWay.s).toBe('wait');
  afterObservation(underWay, { i: 0, state: 'cancelled' }, 20, RULES);
  expect(underWay.o).toBe('CANCELLED');
  const stuck = fresh();
  afterSend(stuck, { answer: { result: 'FAILED_PRECONDITION', message: 'p' } }, 0, RULES);
  afterObservation(stuck, { i: 0, state: 'running' }, 10, RULES);
  expect(stuck).toMatchObject({ s: 'done', o: 'NOT_CANCELLABLE', e: { status: 'FAILED_PRECONDITION' } });
});

test('NOT_FOUND is "not visible yet" for the grace period, then the outcome', () => {
  const op = fresh();
  afterSend(op, { answer: { result: 'NOT_FOUND', message: 'nf' } }, 0, RULES);
  expect(op).toMatchObject({ s: 'send', nf: 0, nb: 2_000 });
  afterSend(op, { answer: { result: 'NOT_FOUND', message: 'nf' } }, 999, RULES);
  expect(op.s).toBe('send');
  afterSend(op, { answer: { result: 'NOT_FOUND', message: 'nf' } }, 1_000, RULES);
  expect(op).toMatchObject({ s: 'done', o: 'NOT_FOUND' });
  const vanished: OpState = { s: 'wait', a: true };
  afterObservation(vanished, { i: 0, notFound: 'gone' }, 0, RULES);
  afterObservation(vanished, { i: 0, state: 'running' }, 500, RULES);
  afterObservation(vanished, { i: 0, notFound: 'gone' }, 600, RULES);
  afterObservation(vanished, { i: 0, notFound: 'gone' }, 1_500, RULES);
  expect(vanished.s).toBe('wait');
  afterObservation(vanished, { i: 0, notFound: 'gone' }, 1_600, RULES);
  expect(vanished.o).toBe('NOT_FOUND');
});

test('the deadline ends what is still open and was read TIMED_OUT, with the last error; counts cover every outcome', () => {
  const waiting: OpState = {
    s: 'wait',
    a: true,
    d: 100,
    rt: 100,
    e: { code: 14, status: 'UNAVAILABLE', message: 'm' },
  };
  const resending: OpState = { s: 'send', d: 100, rt: 150 };
  // Read before its deadline, not since: it must be read once more (as a canceller polls at its deadline).
  const unread: OpState = { s: 'wait', a: true, d: 100, rt: 50 };
  expect(overdue(unread, 1_000)).toBe(true);
  expire([unread], 1_000);
  expect(unread.s).toBe('wait');
  markRead(unread, 1_000);
  expect(overdue(unread, 1_000)).toBe(false);
  expire([unread], 1_000);
  expect(unread.o).toBe('TIMED_OUT');
  const done: OpState = { s: 'done', o: 'CANCELLED', d: 100 };
  expire([waiting, resending, done], 99);
  expect(waiting.s).toBe('wait');
  expire([waiting, resending, done], 100);
  expect(waiting).toMatchObject({ o: 'TIMED_OUT', e: { status: 'UNAVAILABLE' } });
  expect(resending.o).toBe('TIMED_OUT');
  expect(countOutcomes([waiting, resending, done, { s: 'wait' }])).toEqual({
    CANCELLED: 1,
    COMPLETED: 0,
    FAILED: 0,
    UNIMPLEMENTED: 0,
    NOT_CANCELLABLE: 0,
    NOT_FOUND: 0,
    TIMED_OUT: 2,
    ERROR: 0,
  });
});
