/**
 * Answers classified by what they are, and a record that says what happened: a 200 that is not the Operation
 * asked for, a FAILED_PRECONDITION while a cancel is under way, Google's retry hints within one bound, bad input
 * from the Web UI's path, and a canceller cancelled while its cancel request is in flight.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { statusQuery } from '../src/domain/canceller-api';
import { startAwait, startCancel } from '../src/temporal/client';
import { MAX_RETRY_DELAY_MS } from '../src/domain/google-error';
import { LRO_OUTCOME } from '../src/domain/search-attributes';
import type { ScriptedOperation } from '../src/testing/emulator';
import { eventually, startStack, unique, type Stack } from './support/harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const FAST = { initialInterval: '100ms', maximumInterval: '300ms' } as const;

function operation(script: Omit<ScriptedOperation, 'name'> = {}): { name: string; url: string } {
  const name = `projects/p/locations/us-central1/operations/${unique()}`;
  stack.emulator.addOperation({ name, apiVersion: 'v1', ...script });
  return { name, url: `https://alloydb.googleapis.com/v1/${name}` };
}

async function record(handle: WorkflowHandle): Promise<{ outcome: unknown; memo: string }> {
  const description = await handle.describe();
  return {
    outcome: description.typedSearchAttributes.get(LRO_OUTCOME),
    memo: String((await description.memo)?.['summary']),
  };
}

function gets(name: string) {
  return stack.emulator.requests.filter((r) => r.route === 'get' && r.name === name);
}

describe('a 200 is an Operation only if it names the operation asked for', () => {
  test('a proxy answering {} is not a running operation: retried, then TIMED_OUT with a malformed-answer error', async () => {
    const op = operation({ afterCancel: { to: { kind: 'running' } } });
    stack.emulator.failNext({ route: 'get', name: op.name }, { status: 200, body: '{}', times: 10_000 });
    const handle = await startCancel(
      stack.env.client,
      { operation: op.url, timeout: '3s', poll: FAST },
      { taskQueue: stack.taskQueue },
    );
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'TIMED_OUT', polls: 0, cancelAccepted: true });
    expect(result.error).toMatchObject({
      status: 'UNKNOWN',
      message: expect.stringMatching(/^malformed answer: .*no name/),
    });
    expect(result.metadata).toBeUndefined();
    expect(gets(op.name).length).toBeGreaterThan(1);
  });

  test('an Operation naming another operation is not this one, even when it says CANCELLED', async () => {
    const op = operation({ afterCancel: { to: { kind: 'running' } } });
    const other = JSON.stringify({
      name: 'projects/p/locations/us-central1/operations/another',
      done: true,
      error: { code: 1, message: 'Operation was cancelled.' },
    });
    stack.emulator.failNext({ route: 'get', name: op.name }, { status: 200, body: other, times: 10_000 });
    const handle = await startCancel(
      stack.env.client,
      { operation: op.url, timeout: '3s', poll: FAST },
      { taskQueue: stack.taskQueue },
    );
    const result = await handle.result();
    expect(result.outcome).toBe('TIMED_OUT');
    expect(result.error?.message).toMatch(/^malformed answer: the Operation has the name .*another/);
  });

  test('a passing malformed answer is retried, and the next true answer counts', async () => {
    const op = operation({ afterCancel: { to: { kind: 'cancelled' } } });
    stack.emulator.failNext({ route: 'get', name: op.name }, { status: 200, body: '{}', times: 2 });
    const result = await (
      await startCancel(stack.env.client, { operation: op.url, poll: FAST }, { taskQueue: stack.taskQueue })
    ).result();
    expect(result).toMatchObject({ outcome: 'CANCELLED', polls: 1 });
    expect(result.error).toMatchObject({ code: 1, status: 'CANCELLED' });
  });

  test("Speech-to-Text's answer naming the operation by its bare ID is this one", async () => {
    const name = `operations/${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    stack.emulator.addOperation({ name, apiVersion: 'v1', afterCancel: { to: { kind: 'cancelled' } } });
    const bare = JSON.stringify({ name: name.split('/')[1], done: true, error: { code: 1, message: 'cancelled' } });
    stack.emulator.failNext({ route: 'get', name }, { status: 200, body: bare });
    const result = await (
      await startCancel(
        stack.env.client,
        { operation: `https://speech.googleapis.com/v1/${name}`, poll: FAST },
        { taskQueue: stack.taskQueue },
      )
    ).result();
    expect(result).toMatchObject({ outcome: 'CANCELLED', polls: 1 });
  });

  test('a name that looks like a credential is redacted from the malformed-answer error', async () => {
    const op = operation({ afterCancel: { to: { kind: 'running' } } });
    const jwt = `eyJhbGciOiJSUzI1NiJ9.${'eyJzdWIiOiJ4In0'.repeat(80)}.c2lnbmF0dXJl`;
    stack.emulator.failNext(
      { route: 'get', name: op.name },
      { status: 200, body: JSON.stringify({ name: jwt }), times: 10_000 },
    );
    const result = await (
      await startCancel(
        stack.env.client,
        { operation: op.url, timeout: '2s', poll: FAST },
        { taskQueue: stack.taskQueue },
      )
    ).result();
    expect(result.error?.message).toMatch(/^malformed answer: .*\[redacted\]/);
    expect(result.error?.message).not.toMatch(/eyJ/);
  });

  test('an Operation named with the project number instead of its ID is this one', async () => {
    const op = operation();
    const byNumber = JSON.stringify({
      name: op.name.replace('projects/p/', 'projects/123456789012/'),
      done: true,
      error: { code: 1, message: 'Operation was cancelled.' },
    });
    stack.emulator.failNext({ route: 'get', name: op.name }, { status: 200, body: byNumber });
    const result = await (
      await startCancel(stack.env.client, { operation: op.url, poll: FAST }, { taskQueue: stack.taskQueue })
    ).result();
    expect(result).toMatchObject({ outcome: 'CANCELLED', polls: 1 });
  });
});

describe('FAILED_PRECONDITION on a cancel', () => {
  test('is not NOT_CANCELLABLE when the metadata shows a cancel already requested: it is confirmed', async () => {
    const op = operation({
      onCancel: 'failed-precondition',
      cancelFlag: 'none',
      metadata: {
        '@type': 'type.googleapis.com/google.cloud.alloydb.v1.OperationMetadata',
        requestedCancellation: true,
      },
      finish: { to: { kind: 'cancelled' }, afterPolls: 3 },
    });
    const result = await (
      await startCancel(stack.env.client, { operation: op.url, poll: FAST }, { taskQueue: stack.taskQueue })
    ).result();
    expect(result).toMatchObject({ outcome: 'CANCELLED', cancelAccepted: false, polls: 4 });
  });

  test('is NOT_CANCELLABLE when nothing shows a cancel under way', async () => {
    const op = operation({ onCancel: 'failed-precondition' });
    const result = await (
      await startCancel(stack.env.client, { operation: op.url, poll: FAST }, { taskQueue: stack.taskQueue })
    ).result();
    expect(result).toMatchObject({ outcome: 'NOT_CANCELLABLE', polls: 1 });
  });
});

describe(`Google's retry hints, held within [1 s, ${MAX_RETRY_DELAY_MS / 60_000} min] on every path`, () => {
  /** Milliseconds of a protobuf Duration as the client decodes it. */
  const ms = (d: { seconds?: unknown; nanos?: unknown } | null | undefined): number =>
    Number(d?.seconds ?? 0) * 1000 + Number(d?.nanos ?? 0) / 1e6;

  test.each(['0s', '0.5s'])(
    'RetryInfo %s on the GET after the cancel: the workflow waits at least a second before the next',
    async (retryDelay) => {
      const op = operation({ afterCancel: { to: { kind: 'cancelled' } } });
      stack.emulator.failNext({ route: 'get', name: op.name }, { code: 'RESOURCE_EXHAUSTED', retryDelay });
      const handle = await startCancel(
        stack.env.client,
        { operation: op.url, poll: FAST },
        { taskQueue: stack.taskQueue },
      );
      expect((await handle.result()).outcome).toBe('CANCELLED');
      // The timer the workflow set (the server runs sub-second timers late, so time them in history, not by clock).
      const timers = ((await handle.fetchHistory()).events ?? []).flatMap((e) =>
        e.timerStartedEventAttributes ? [ms(e.timerStartedEventAttributes.startToFireTimeout)] : [],
      );
      expect(timers).toHaveLength(1);
      expect(timers[0]).toBeGreaterThanOrEqual(1_000);
      expect(timers[0]).toBeLessThan(1_500);
    },
  );

  test.each(['0s', '0.5s'])(
    'RetryInfo %s on a cancel Temporal retries: the retry is scheduled at least a second later',
    async (retryDelay) => {
      const op = operation({ afterCancel: { to: { kind: 'cancelled' } } });
      stack.emulator.failNext({ route: 'cancel', name: op.name }, { code: 'UNAVAILABLE', retryDelay });
      const handle = await startCancel(
        stack.env.client,
        { operation: op.url, poll: FAST },
        { taskQueue: stack.taskQueue },
      );
      const pending = await eventually(
        async () => (await handle.describe()).raw.pendingActivities?.[0],
        (activity) => Number(activity?.attempt ?? 0) >= 2 && activity?.nextAttemptScheduleTime != null,
        5_000,
      );
      expect(pending?.nextAttemptScheduleTime).toBeTruthy();
      const gap = ms(pending?.nextAttemptScheduleTime) - ms(pending?.lastAttemptCompleteTime);
      expect(gap).toBeGreaterThanOrEqual(950);
      expect(gap).toBeLessThan(1_500);
      expect((await handle.result()).outcome).toBe('CANCELLED');
    },
  );

  test('RetryInfo 3600s on the GET after the cancel parks the canceller 5 minutes, not until its deadline', async () => {
    const op = operation({ afterCancel: { to: { kind: 'cancelled' } } });
    stack.emulator.failNext({ route: 'get', name: op.name }, { code: 'RESOURCE_EXHAUSTED', retryDelay: '3600s' });
    const handle = await startCancel(
      stack.env.client,
      { operation: op.url, timeout: '2h', poll: FAST },
      { taskQueue: stack.taskQueue },
    );
    const status = await eventually(
      () => handle.query(statusQuery),
      (s) => s.nextPollAt !== undefined,
    );
    const waitMs = Date.parse(status.nextPollAt ?? '') - Date.now();
    expect(waitMs).toBeGreaterThan(MAX_RETRY_DELAY_MS - 30_000);
    expect(waitMs).toBeLessThanOrEqual(MAX_RETRY_DELAY_MS);
    await handle.signal('pollNow');
    expect((await handle.result()).outcome).toBe('CANCELLED');
  });

  test('RetryInfo 3600s on a GET Temporal retries: its next attempt is 5 minutes away, not an hour', async () => {
    const op = operation({ afterCancel: { to: { kind: 'running' } } });
    const handle = await startCancel(
      stack.env.client,
      { operation: op.url, timeout: '2h', poll: FAST },
      { taskQueue: stack.taskQueue },
    );
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.polls >= 1,
    );
    stack.emulator.failNext({ route: 'get', name: op.name }, { code: 'RESOURCE_EXHAUSTED', retryDelay: '3600s' });
    const pending = await eventually(
      async () => (await handle.describe()).raw.pendingActivities?.[0],
      (activity) => Number(activity?.attempt ?? 0) >= 2 && activity?.nextAttemptScheduleTime != null,
    );
    const next = pending?.nextAttemptScheduleTime;
    const waitMs = Number(next?.seconds ?? 0) * 1000 + Number(next?.nanos ?? 0) / 1e6 - Date.now();
    expect(waitMs).toBeGreaterThan(MAX_RETRY_DELAY_MS - 30_000);
    expect(waitMs).toBeLessThanOrEqual(MAX_RETRY_DELAY_MS);
    await handle.terminate();
  });
});

describe('bad input from the Web UI path (a raw start by type name)', () => {
  test('a carried state given by hand (not by continue-as-new) is refused and recorded', async () => {
    const op = operation();
    const handle = await stack.env.client.workflow.start('cancelOperation', {
      args: [{ operation: op.url }, { cancelSent: true, waiters: ['someone-else'] }],
      taskQueue: stack.taskQueue,
      workflowId: unique('raw'),
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'INVALID_ARGUMENT', nonRetryable: true });
    expect(await record(handle)).toEqual({
      outcome: 'ERROR',
      memo: expect.stringMatching(/^ERROR: INVALID_ARGUMENT: carried: is set by continue-as-new only/),
    });
    expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(0);
  });

  test.each([
    ['cancelOperation', { operation: 'https://alloydb.googleapis.com/v1/projects/p/../operations/o' }],
    ['awaitOperation', { operation: 'https://alloydb.googleapis.com/v1/projects/p/locations/l/operations/o' }],
  ])('%s records ERROR with INVALID_ARGUMENT', async (workflowType, input) => {
    const handle = await stack.env.client.workflow.start(workflowType, {
      args: [input],
      taskQueue: stack.taskQueue,
      workflowId: unique('raw'),
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'INVALID_ARGUMENT', nonRetryable: true });
    const field = workflowType === 'cancelOperation' ? 'operation' : 'timeout';
    expect(await record(handle)).toEqual({
      outcome: 'ERROR',
      memo: expect.stringMatching(new RegExp(`^ERROR: INVALID_ARGUMENT: ${field}: `)),
    });
  });
});

describe('cancelling the canceller says whether a cancel request went out', () => {
  test('during its cancel request: ABANDONED, and the record says the request was or may have been sent', async () => {
    const op = operation({ afterCancel: { to: { kind: 'running' } } });
    stack.emulator.failNext({ route: 'cancel', name: op.name }, { stallMs: 4_000 });
    const handle = await startCancel(stack.env.client, { operation: op.url }, { taskQueue: stack.taskQueue });
    await eventually(
      async () => stack.emulator.count({ route: 'cancel', name: op.name }),
      (n) => n >= 1,
    );
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const { outcome, memo } = await record(handle);
    expect(outcome).toBe('ABANDONED');
    expect(memo).toMatch(/; a cancel request (was|may have been) sent$/);
    // It waited for the activity to end before recording.
    const events = (await handle.fetchHistory()).events ?? [];
    const activityEnded = events.findIndex(
      (e) => e.activityTaskCanceledEventAttributes || e.activityTaskCompletedEventAttributes,
    );
    const upserted = events.findIndex(
      (e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.['LroOutcome'],
    );
    expect(activityEnded).toBeGreaterThan(-1);
    expect(upserted).toBeGreaterThan(activityEnded);
    expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(1);
  });

  test('after its cancel was answered: the record says it was sent', async () => {
    const op = operation({ afterCancel: { to: { kind: 'running' } } });
    const handle = await startCancel(
      stack.env.client,
      { operation: op.url, poll: { initialInterval: '1h' } },
      { taskQueue: stack.taskQueue },
    );
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.polls >= 1,
    );
    await handle.cancel();
    await handle.result().catch(() => undefined);
    expect(await record(handle)).toEqual({
      outcome: 'ABANDONED',
      memo: expect.stringMatching(/; a cancel request was sent$/),
    });
  });

  test('before any cancel (an await still waiting): the record says none was sent, and none was', async () => {
    const op = operation();
    const handle = await startAwait(
      stack.env.client,
      { operation: op.url, timeout: '1h', poll: { initialInterval: '1h' } },
      { taskQueue: stack.taskQueue },
    );
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.polls >= 1,
    );
    await handle.cancel();
    await handle.result().catch(() => undefined);
    expect(await record(handle)).toEqual({
      outcome: 'ABANDONED',
      memo: expect.stringMatching(/; no cancel request was sent$/),
    });
    expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(0);
  });
});
