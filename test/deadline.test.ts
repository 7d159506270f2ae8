/**
 * The deadline is the deadline: however Temporal reports that a call ran out of time (retries that stop at the
 * schedule-to-close time, a timeout), `cancelOperation` ends TIMED_OUT with the last error in its result and
 * `awaitOperation` goes on to its cancel; `giveUp` and `extendTimeout` take effect while a call is retried.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { extendTimeoutUpdate, giveUpSignal, statusQuery } from '../src/domain/canceller-api';
import { startAwait, startCancel } from '../src/temporal/client';
import type { CancelOperationResult } from '../src/domain/outcome';
import type { ScriptedFailure } from '../src/testing/emulator';
import { eventually, startStack, unique, type Stack } from './support/harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const FAST = { initialInterval: '100ms', maximumInterval: '300ms' } as const;
const TIMEOUT_MS = 3_000;
const LASTING = 10_000;

function operation(): { name: string; url: string } {
  const name = `projects/p/locations/us-central1/operations/${unique()}`;
  stack.emulator.addOperation({ name, apiVersion: 'v1', afterCancel: { to: { kind: 'cancelled' } } });
  return { name, url: `https://alloydb.googleapis.com/v1/${name}` };
}

async function memo(handle: WorkflowHandle): Promise<string> {
  return String((await (await handle.describe()).memo)?.['summary']);
}

/** Each retryable answer, the google.rpc code the result must record for it, and the canceller's timeout. */
const FAULTS: [string, ScriptedFailure, string, number][] = [
  ['503', { code: 'UNAVAILABLE', times: LASTING }, 'UNAVAILABLE', TIMEOUT_MS],
  ['500', { code: 'INTERNAL', times: LASTING }, 'INTERNAL', TIMEOUT_MS],
  ['429 without a hint', { code: 'RESOURCE_EXHAUSTED', times: LASTING }, 'RESOURCE_EXHAUSTED', TIMEOUT_MS],
  // Attempts at 0 s and 2 s, the third due after the deadline: the second has 1.5 s to be answered, even on a
  // loaded machine, and none is cut by the deadline.
  [
    '429 with RetryInfo 2s',
    { code: 'RESOURCE_EXHAUSTED', retryDelay: '2s', times: LASTING },
    'RESOURCE_EXHAUSTED',
    3_500,
  ],
  ['connection resets', { reset: true, times: LASTING }, 'UNAVAILABLE', TIMEOUT_MS],
  ['stalls', { stallMs: 60_000, times: LASTING }, 'DEADLINE_EXCEEDED', TIMEOUT_MS],
];

describe('cancelOperation ends TIMED_OUT with the last error when a fault lasts past its deadline', () => {
  const CASES = (['cancel', 'get'] as const).flatMap((route) =>
    FAULTS.map(([label, fault, code, timeoutMs]) => ({ route, label, fault, code, timeoutMs })),
  );
  /** Each case's canceller, all run at once (each fault is scripted for its own operation only). */
  const runs = new Map<string, Promise<{ result: CancelOperationResult; summary: string }>>();

  beforeAll(() => {
    for (const { route, label, fault, timeoutMs } of CASES) {
      const op = operation();
      stack.emulator.failNext({ route, name: op.name }, fault);
      const run = startCancel(
        stack.env.client,
        { operation: op.url, timeout: timeoutMs, poll: FAST },
        { taskQueue: stack.taskQueue },
      ).then(async (handle) => ({ result: await handle.result(), summary: await memo(handle) }));
      run.catch(() => undefined);
      runs.set(`${route}: ${label}`, run);
    }
  });

  test.each(CASES)('on the $route: $label', async ({ route, label, code, timeoutMs }) => {
    const { result, summary } = await (runs.get(`${route}: ${label}`) as Promise<{
      result: CancelOperationResult;
      summary: string;
    }>);
    expect(result.outcome).toBe('TIMED_OUT');
    expect(result.error).toMatchObject({ status: code });
    const tookMs = Date.parse(result.finishedAt) - Date.parse(result.startedAt);
    // At the deadline, give or take the last attempt: never the minute the old grace allowed.
    expect(tookMs).toBeGreaterThanOrEqual(timeoutMs - 2_500);
    expect(tookMs).toBeLessThan(timeoutMs + 4_000);
    expect(summary).toMatch(/^TIMED_OUT: /);
    // The cancel was answered even where the GET after it never was (its heartbeats said so).
    if (route === 'get') expect(result.cancelAccepted).toBe(true);
  });
});

describe('awaitOperation goes on to its cancel when its wait ends during an outage', () => {
  test.each([
    ['a Google outage', 'operationsFailUntil'],
    ['a metadata-server outage', 'tokenFailUntil'],
  ] as const)('%s', async (_label, fault) => {
    const op = operation();
    // The wait (2 s) ends during the outage; the cancel then goes out when it is over. Without a live token the
    // worker must reach the metadata server.
    const outageEnds = Date.now() + 5_000;
    stack.emulator.setFaults({ [fault]: outageEnds });
    stack.emulator.revokeTokens();
    try {
      const handle = await startAwait(
        stack.env.client,
        { operation: op.url, timeout: '2s', poll: FAST },
        { taskQueue: stack.taskQueue },
      );
      const result = await handle.result();
      expect(result).toMatchObject({ outcome: 'CANCELLED', timedOut: true, cancelAccepted: true });
      // The wait ended at its deadline, in the outage, and the canceller went on to its cancel then (it went out
      // once the outage was over).
      const events = (await handle.fetchHistory()).events ?? [];
      const cancelScheduled = events.find(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'cancelAndGet',
      );
      expect(Number(cancelScheduled?.eventTime?.seconds ?? Infinity) * 1000).toBeLessThan(outageEnds - 1_000);
      expect(Date.parse(result.finishedAt)).toBeGreaterThanOrEqual(outageEnds - 1_000);
      const cancels = stack.emulator.requests.filter((r) => r.route === 'cancel' && r.name === op.name);
      expect(cancels.filter((r) => r.status === 200)).toHaveLength(1);
    } finally {
      stack.emulator.setFaults({});
    }
  });
});

describe('operators act within seconds while a call is being retried', () => {
  test('giveUp interrupts a poll Temporal is retrying: TIMED_OUT within 5 s', async () => {
    const op = operation();
    stack.emulator.failNext({ route: 'get', name: op.name }, { code: 'UNAVAILABLE', times: LASTING });
    const handle = await startCancel(
      stack.env.client,
      { operation: op.url, timeout: '1h', poll: FAST },
      { taskQueue: stack.taskQueue },
    );
    // The first GET failed (answered inside the cancel's activity); the next one is being retried.
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.lastError !== undefined,
    );
    await eventually(
      async () => stack.emulator.count({ route: 'get', name: op.name }),
      (n) => n >= 3,
    );
    const sent = Date.now();
    await handle.signal(giveUpSignal);
    const result = await handle.result();
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(result).toMatchObject({ outcome: 'TIMED_OUT', cancelAccepted: true, error: { status: 'UNAVAILABLE' } });
  });

  test('giveUp interrupts a cancel request Temporal is retrying, and the record says it may have been sent', async () => {
    const op = operation();
    stack.emulator.failNext({ route: 'cancel', name: op.name }, { code: 'INTERNAL', times: LASTING });
    const handle = await startCancel(
      stack.env.client,
      { operation: op.url, timeout: '1h', poll: FAST },
      { taskQueue: stack.taskQueue },
    );
    await eventually(
      async () => stack.emulator.count({ route: 'cancel', name: op.name }),
      (n) => n >= 2,
    );
    const sent = Date.now();
    await handle.signal(giveUpSignal);
    const result = await handle.result();
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(result).toMatchObject({ outcome: 'TIMED_OUT', cancelAccepted: false });
    expect(await memo(handle)).toMatch(/cancel may have been sent/);
  });

  test('extendTimeout during a retried call moves the deadline: the canceller outlives the outage', async () => {
    const op = operation();
    stack.emulator.setFaults({ operationsFailUntil: Date.now() + 6_000 });
    try {
      const handle = await startCancel(
        stack.env.client,
        { operation: op.url, timeout: TIMEOUT_MS, poll: FAST },
        { taskQueue: stack.taskQueue },
      );
      await eventually(
        async () => stack.emulator.count({ route: 'cancel', name: op.name }),
        (n) => n >= 1,
      );
      const sent = Date.now();
      const deadline = await handle.executeUpdate(extendTimeoutUpdate, { args: ['30s'] });
      expect(Date.now() - sent).toBeLessThan(5_000);
      expect(Date.parse(deadline) - Date.now()).toBeGreaterThan(25_000);
      const result = await handle.result();
      expect(result).toMatchObject({ outcome: 'CANCELLED', cancelAccepted: true });
    } finally {
      stack.emulator.setFaults({});
    }
  });
});
