/**
 * `poll.mode: 'wait'`: cancelOperation and awaitOperation read the operation with WaitOperation (`POST {name}:wait`)
 * instead of timers and GETs, on a real Temporal dev server against the Google emulator. The outcome is known as
 * soon as the operation is done; a service without WaitOperation sends the canceller back to GETs, and the worker
 * remembers it; operators' signals still take effect while a wait is in flight.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { extendTimeoutUpdate, giveUpSignal, pollNowSignal, statusQuery } from '../src/domain/canceller-api';
import type { AwaitOperationInput, CancelOperationInput } from '../src/domain/canceller-input';
import { LRO_OUTCOME } from '../src/domain/search-attributes';
import type { RecordedRequest, ScriptedOperation } from '../src/testing/emulator';
import { startAwait, startCancel } from '../src/temporal/client';
import { eventually, startStack, unique, type Stack } from './support/harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
  // Told once, for the whole file: the worker remembers per service that it has no WaitOperation.
  stack.emulator.configureService(NO_WAIT_SERVICE, { wait: false });
});
afterAll(async () => {
  await stack?.stop();
});

/** Vertex AI implements WaitOperation; so does the emulator, for every service not told otherwise. */
const WAIT_SERVICE = 'aiplatform.googleapis.com';
/** AlloyDB does not (none of the five seed services does). */
const NO_WAIT_SERVICE = 'alloydb.googleapis.com';

function scripted(service: string, script: Omit<ScriptedOperation, 'name'> = {}) {
  const name = `projects/p/locations/us-central1/operations/${unique()}`;
  stack.emulator.addOperation({ name, apiVersion: 'v1', service, ...script });
  return { url: `https://${service}/v1/${name}`, name };
}

function startCancelling(input: CancelOperationInput) {
  return startCancel(stack.env.client, input, { taskQueue: stack.taskQueue });
}

function startAwaiting(input: AwaitOperationInput) {
  return startAwait(stack.env.client, input, { taskQueue: stack.taskQueue });
}

/** The calls the emulator received for an operation, by route. */
function calls(name: string): { get: number; wait: number; cancel: number } {
  return {
    get: stack.emulator.count({ route: 'get', name }),
    wait: stack.emulator.count({ route: 'wait', name }),
    cancel: stack.emulator.count({ route: 'cancel', name }),
  };
}

/** The first request of each route for an operation. */
function firstRequests(name: string, ...routes: RecordedRequest['route'][]): (RecordedRequest | undefined)[] {
  return routes.map((route) => stack.emulator.requests.find((r) => r.route === route && r.name === name));
}

/** Resolves once a WaitOperation call of the canceller is in flight, and returns its status then. */
function waitInFlight(handle: WorkflowHandle) {
  return eventually(
    () => handle.query(statusQuery).catch(() => undefined),
    (status) => status?.waitingUntil !== undefined,
  ).then((status) => {
    expect(status?.waitingUntil).toBeDefined();
    return status;
  });
}

describe('an operation that finishes while a wait is in flight', () => {
  test('awaitOperation: COMPLETED within a second of the finish, after one GET and a few waits', async () => {
    const finishAt = Date.now() + 3_000;
    const op = scripted(WAIT_SERVICE, { finish: { to: { kind: 'succeeded' }, afterMs: 3_000 } });
    const handle = await startAwaiting({ operation: op.url, timeout: '10m', poll: { mode: 'wait' } });

    const status = await waitInFlight(handle);
    expect(status).toMatchObject({ pollMode: 'wait', phase: 'waiting', polls: 1 });
    expect(status?.nextPollAt).toBeUndefined(); // no timer: the wait is the pause

    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'COMPLETED', timedOut: false, cancelAccepted: false });
    const lagMs = Date.parse(result.finishedAt) - finishAt;
    expect(lagMs).toBeGreaterThanOrEqual(0);
    expect(lagMs).toBeLessThan(1_000);
    // The first read is a GET (it shows the operation at once); every later one a wait, with no GET between.
    const seen = calls(op.name);
    expect(seen.get).toBe(1);
    expect(seen.wait).toBeGreaterThanOrEqual(1);
    expect(seen.wait).toBeLessThanOrEqual(3);
    expect(seen.cancel).toBe(0);
    expect(result.polls).toBe(seen.get + seen.wait);
    // No timer before the first wait: it follows the GET at once (a timer would be 900 ms at least), and asks for at
    // most 58 s.
    const [get, firstWait] = firstRequests(op.name, 'get', 'wait');
    expect((firstWait?.at ?? Infinity) - (get?.at ?? 0)).toBeLessThan(800);
    expect(JSON.parse(firstWait?.body ?? '{}')).toEqual({ timeout: '58.000s' });
  });

  test('cancelOperation: CANCELLED within a second of the service confirming the cancel 2 s later', async () => {
    const op = scripted(WAIT_SERVICE, { afterCancel: { to: { kind: 'cancelled' }, afterMs: 2_000 } });
    const result = await (await startCancelling({ operation: op.url, poll: { mode: 'wait' } })).result();

    expect(result).toMatchObject({ outcome: 'CANCELLED', cancelAccepted: true, error: { code: 1 } });
    const [cancel, get, firstWait] = firstRequests(op.name, 'cancel', 'get', 'wait');
    const cancelledAt = (cancel?.at ?? 0) + 2_000;
    const lagMs = Date.parse(result.finishedAt) - cancelledAt;
    expect(lagMs).toBeGreaterThanOrEqual(0);
    expect(lagMs).toBeLessThan(1_000);
    // The GET that rides with the cancel, then at once (a timer would be 900 ms at least) waits only.
    expect((firstWait?.at ?? Infinity) - (get?.at ?? 0)).toBeLessThan(800);
    const seen = calls(op.name);
    expect(seen).toMatchObject({ cancel: 1, get: 1 });
    expect(seen.wait).toBeGreaterThanOrEqual(1);
    expect(seen.wait).toBeLessThanOrEqual(3);
  });

  test('get mode, the default, makes no wait at all', async () => {
    const op = scripted(WAIT_SERVICE, { afterCancel: { to: { kind: 'cancelled' }, afterMs: 1_000 } });
    const handle = await startCancelling({ operation: op.url, poll: { initialInterval: '200ms' } });
    expect(await handle.result()).toMatchObject({ outcome: 'CANCELLED' });
    expect(calls(op.name).wait).toBe(0);
    expect(calls(op.name).get).toBeGreaterThan(1);
    expect(await handle.query(statusQuery)).toMatchObject({ pollMode: 'get' });
  });
});

describe('a service without WaitOperation', () => {
  test('falls back to GETs on the schedule, and a second canceller on this worker sends no wait at all', async () => {
    const first = scripted(NO_WAIT_SERVICE, { afterCancel: { to: { kind: 'cancelled' }, afterPolls: 3 } });
    const handle = await startCancelling({
      operation: first.url,
      poll: { mode: 'wait', initialInterval: '100ms', maximumInterval: '300ms' },
    });
    expect(await handle.result()).toMatchObject({ outcome: 'CANCELLED', cancelAccepted: true, polls: 4 });
    // One wait, answered UNIMPLEMENTED: the same activity read the operation with a GET; GETs ever since.
    expect(calls(first.name)).toEqual({ cancel: 1, wait: 1, get: 4 });
    expect(await handle.query(statusQuery)).toMatchObject({ pollMode: 'get (wait unsupported)' });

    const second = scripted(NO_WAIT_SERVICE, { finish: { to: { kind: 'succeeded' }, afterPolls: 2 } });
    const result = await (
      await startAwaiting({
        operation: second.url,
        timeout: '10m',
        poll: { mode: 'wait', initialInterval: '100ms', maximumInterval: '300ms' },
      })
    ).result();
    expect(result).toMatchObject({ outcome: 'COMPLETED', timedOut: false, polls: 3 });
    expect(calls(second.name)).toEqual({ cancel: 0, wait: 0, get: 3 });
  });

  test('a service whose wait answers at once is not polled in a tight loop: the schedule paces it', async () => {
    const op = scripted(WAIT_SERVICE);
    // A wait that does not wait: the running operation, at once, every time.
    const running = JSON.stringify({ name: op.name, done: false, metadata: { '@type': 'type.googleapis.com/x.Meta' } });
    stack.emulator.failNext({ route: 'wait', name: op.name }, { status: 200, body: running, times: 1_000 });
    const handle = await startAwaiting({
      operation: op.url,
      timeout: '5s',
      cancelOnTimeout: false,
      poll: { mode: 'wait', initialInterval: '1s', backoffCoefficient: 1 },
    });
    expect(await handle.result()).toMatchObject({ outcome: 'TIMED_OUT', timedOut: true });
    // About one read a second (waits, and GETs in the last second): without the pacing, dozens in 5 s.
    const seen = calls(op.name);
    expect(seen.wait).toBeGreaterThanOrEqual(2);
    expect(seen.get + seen.wait).toBeLessThanOrEqual(9);
  });
});

describe('operators, while a wait is in flight', () => {
  test('giveUp ends cancelOperation TIMED_OUT within 5 s', async () => {
    const op = scripted(WAIT_SERVICE, { afterCancel: { to: { kind: 'running' } } });
    const handle = await startCancelling({ operation: op.url, timeout: '1h', poll: { mode: 'wait' } });
    await waitInFlight(handle);

    const gaveUpAt = Date.now();
    await handle.signal(giveUpSignal);
    const result = await handle.result();
    expect(Date.now() - gaveUpAt).toBeLessThan(5_000);
    expect(result).toMatchObject({ outcome: 'TIMED_OUT', cancelAccepted: true });
    expect(await outcomeAttribute(handle)).toBe('TIMED_OUT');
  });

  test('giveUp makes awaitOperation cancel at once', async () => {
    const op = scripted(WAIT_SERVICE, { afterCancel: { to: { kind: 'cancelled' }, afterMs: 500 } });
    const handle = await startAwaiting({ operation: op.url, timeout: '1h', poll: { mode: 'wait' } });
    await waitInFlight(handle);

    const gaveUpAt = Date.now();
    await handle.signal(giveUpSignal);
    const result = await handle.result();
    expect(Date.now() - gaveUpAt).toBeLessThan(5_000);
    expect(result).toMatchObject({ outcome: 'CANCELLED', timedOut: true, cancelAccepted: true });
  });

  test('pollNow reads the operation with a GET at once, then waiting goes on', async () => {
    const op = scripted(WAIT_SERVICE, { afterCancel: { to: { kind: 'running' } } });
    const handle = await startCancelling({ operation: op.url, timeout: '1h', poll: { mode: 'wait' } });
    await waitInFlight(handle);
    expect(calls(op.name).get).toBe(1);

    await handle.signal(pollNowSignal);
    const after = await eventually(
      async () => ({ status: await handle.query(statusQuery), gets: calls(op.name).get }),
      ({ status, gets }) => gets === 2 && status.waitingUntil !== undefined,
      5_000,
    );
    expect(after.gets).toBe(2);
    expect(after.status).toMatchObject({ polls: 2, pollMode: 'wait' });
    expect(after.status.waitingUntil).toBeDefined(); // waiting again
    await handle.signal(giveUpSignal);
    await handle.result();
  });

  test('extendTimeout moves the deadline: awaitOperation outlives its first timeout', async () => {
    const op = scripted(WAIT_SERVICE, { finish: { to: { kind: 'succeeded' }, afterMs: 6_000 } });
    const handle = await startAwaiting({
      operation: op.url,
      timeout: '3s',
      cancelOnTimeout: false,
      poll: { mode: 'wait' },
    });
    const status = await waitInFlight(handle);
    // The wait asked for what was left of the 3 s, not 58 s.
    expect(Date.parse(status?.waitingUntil ?? '')).toBeLessThanOrEqual(Date.parse(status?.deadline ?? ''));

    await handle.executeUpdate(extendTimeoutUpdate, { args: ['1m'] });
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'COMPLETED', timedOut: false });
    expect(calls(op.name).get).toBe(1);
  });
});

describe('across continue-as-new', () => {
  let small: Stack;

  beforeAll(async () => {
    small = await startStack({ devServer: { dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } } });
    small.emulator.configureService(NO_WAIT_SERVICE, { wait: false });
  });
  afterAll(async () => {
    await small?.stop();
  });

  test('a canceller whose service has no WaitOperation polls with GETs in its later runs, not asking again', async () => {
    const name = `projects/p/locations/us-central1/operations/${unique()}`;
    small.emulator.addOperation({
      name,
      apiVersion: 'v1',
      service: NO_WAIT_SERVICE,
      afterCancel: { to: { kind: 'cancelled' }, afterPolls: 8 },
    });
    const handle = await startCancel(
      small.env.client,
      { operation: `https://${NO_WAIT_SERVICE}/v1/${name}`, poll: { mode: 'wait', initialInterval: '50ms' } },
      { taskQueue: small.taskQueue },
    );
    expect(await handle.result()).toMatchObject({ outcome: 'CANCELLED', polls: 9 });
    expect(small.emulator.count({ route: 'wait', name })).toBe(1);

    const runIds: string[] = [];
    for await (const run of small.env.client.workflow.list({ query: `WorkflowId = "${handle.workflowId}"` })) {
      if (run.runId !== handle.firstExecutionRunId) runIds.push(run.runId);
    }
    expect(runIds.length).toBeGreaterThanOrEqual(1);
    for (const runId of runIds) {
      const history = await small.env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
      const activities = (history.events ?? []).flatMap((event) => {
        const type = event.activityTaskScheduledEventAttributes?.activityType?.name;
        return type ? [type] : [];
      });
      // The state it carried says so: no waitOperation activity, which this worker would answer with a GET anyway.
      expect(activities.length).toBeGreaterThan(0);
      expect(new Set(activities)).toEqual(new Set(['getOperation']));
      expect(await small.env.client.workflow.getHandle(handle.workflowId, runId).query(statusQuery)).toMatchObject({
        pollMode: 'get (wait unsupported)',
      });
    }
  });
});

test('a poll.mode that is not get or wait fails the canceller: ERROR, INVALID_ARGUMENT naming poll.mode', async () => {
  const op = scripted(WAIT_SERVICE);
  const handle = await stack.env.client.workflow.start('cancelOperation', {
    args: [{ operation: op.url, poll: { mode: 'long-poll' } }],
    taskQueue: stack.taskQueue,
    workflowId: unique('bad-mode'),
  });
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect(cause).toMatchObject({
    type: 'INVALID_ARGUMENT',
    message: expect.stringMatching(/^poll\.mode: must be one of get, wait/),
  });
  expect(await outcomeAttribute(handle)).toBe('ERROR');
  expect(calls(op.name)).toEqual({ cancel: 0, get: 0, wait: 0 });
});

async function outcomeAttribute(handle: WorkflowHandle): Promise<unknown> {
  return (await handle.describe()).typedSearchAttributes.get(LRO_OUTCOME);
}
