/**
 * cancelOperation on a real Temporal dev server, against the Google emulator through the real auth flow.
 */
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { extendTimeoutUpdate, giveUpSignal, pollNowSignal, statusQuery } from '../src/domain/canceller-api';
import type { CancelOperationInput, PollOptions } from '../src/domain/canceller-input';
import { startCancel } from '../src/temporal/client';
import type { CancelOperationResult, RecordedOutcome } from '../src/domain/outcome';
import { MAX_ID_LENGTH } from '../src/domain/bounded-id';
import { MAX_OPERATION_LENGTH } from '../src/domain/operation-ref';
import { LRO_OPERATION, LRO_OUTCOME, LRO_SERVICE, operationSearchValue } from '../src/domain/search-attributes';
import { GoogleEmulator, type ScriptedOperation } from '../src/testing/emulator';
import { cancelWorkflowId } from '../src/domain/workflow-id';
import { eventually, startStack, unique, type Stack } from './support/harness';

let stack: Stack;
let decoy: GoogleEmulator;

beforeAll(async () => {
  // As SQL persistence allows (the stacks set limit.maxIDLength: 255): an ID past it is refused at start.
  stack = await startStack({ devServer: { dynamicConfig: { 'limit.maxIDLength': MAX_ID_LENGTH } } });
  decoy = await GoogleEmulator.start();
});
afterAll(async () => {
  await decoy?.close();
  await stack?.stop();
});

const FAST_POLL: PollOptions = { initialInterval: '100ms', maximumInterval: '500ms' };

/** The five seed shapes: host, version and a resource name of each. */
const SEEDS = {
  alloydb: (id: string) => ({
    host: 'alloydb.googleapis.com',
    version: 'v1beta',
    name: `projects/p/locations/us-central1/operations/${id}`,
  }),
  clouddeploy: (id: string) => ({
    host: 'clouddeploy.googleapis.com',
    version: 'v1',
    name: `projects/p/locations/europe-west1/operations/${id}`,
  }),
  beyondcorp: (id: string) => ({
    host: 'beyondcorp.googleapis.com',
    version: 'v1',
    name: `organizations/o/locations/global/operations/${id}`,
  }),
  dai: (id: string) => ({ host: 'dai.googleapis.com', version: 'v1', name: `operations/ingest/jobs/${id}` }),
  datastream: (id: string) => ({
    host: 'datastream.googleapis.com',
    version: 'v1',
    name: `projects/p/locations/us-central1/operations/stream-ops.${id}`,
  }),
};

function scripted(seed: keyof typeof SEEDS, script: Omit<ScriptedOperation, 'name'> = {}) {
  const { host, version, name } = SEEDS[seed](unique());
  stack.emulator.addOperation({ name, apiVersion: version, service: host, ...script });
  return { url: `https://${host}/${version}/${name}`, name, host };
}

/** The workflow IDs a visibility query lists. */
async function listedIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of stack.env.client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

async function run(input: CancelOperationInput): Promise<CancelOperationResult> {
  const handle = await startCancel(stack.env.client, input, { taskQueue: stack.taskQueue });
  return handle.result();
}

async function outcomeAttribute(handle: WorkflowHandle): Promise<RecordedOutcome | undefined> {
  const description = await handle.describe();
  return description.typedSearchAttributes.get(LRO_OUTCOME) as RecordedOutcome | undefined;
}

describe('outcomes', () => {
  test('CANCELLED: the cancel is confirmed by GetOperation (AlloyDB, projects/*/locations/*/operations/*)', async () => {
    const op = scripted('alloydb', { afterCancel: { to: { kind: 'cancelled' }, afterPolls: 2 } });
    const result = await run({ operation: op.url, poll: FAST_POLL });
    expect(result).toMatchObject({
      operation: op.url,
      service: 'alloydb.googleapis.com',
      apiVersion: 'v1beta',
      outcome: 'CANCELLED',
      cancelAccepted: true,
      polls: 3,
      error: { code: 1, status: 'CANCELLED' },
    });
    expect(result.metadata?.cancelRequested).toBe(true);
    expect(Date.parse(result.finishedAt)).toBeGreaterThanOrEqual(Date.parse(result.startedAt));
    expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(1);
    expect(stack.emulator.count({ route: 'get', name: op.name })).toBe(3);
  });

  test('COMPLETED: the operation finished anyway with a response (Cloud Deploy)', async () => {
    const op = scripted('clouddeploy', {
      cancelFlag: 'cancelRequested',
      afterCancel: {
        to: { kind: 'succeeded', response: { '@type': 'type.googleapis.com/google.cloud.deploy.v1.Release' } },
      },
    });
    const result = await run({ operation: op.url, poll: FAST_POLL });
    expect(result).toMatchObject({
      outcome: 'COMPLETED',
      cancelAccepted: true,
      responseType: 'type.googleapis.com/google.cloud.deploy.v1.Release',
    });
    expect(result.error).toBeUndefined();
    expect(result.metadata?.cancelRequested).toBe(true);
  });

  test('COMPLETED: done with neither result (BeyondCorp, organizations/*/locations/*/operations/*)', async () => {
    const op = scripted('beyondcorp', {
      onCancel: 'accept-empty',
      afterCancel: { to: { kind: 'done-without-result' } },
    });
    const result = await run({ operation: op.url, poll: FAST_POLL });
    expect(result).toMatchObject({ outcome: 'COMPLETED', cancelAccepted: true });
    expect(result.responseType).toBeUndefined();
  });

  test('FAILED: the operation finished anyway with another error (dai, operations/**)', async () => {
    const op = scripted('dai', {
      cancelFlag: 'none',
      afterCancel: { to: { kind: 'failed', error: { code: 13, message: 'disk full' } } },
    });
    const result = await run({ operation: op.url, poll: FAST_POLL });
    expect(result).toMatchObject({ outcome: 'FAILED', error: { code: 13, status: 'INTERNAL', message: 'disk full' } });
    expect(result.metadata?.cancelRequested).toBeUndefined();
  });

  test('UNIMPLEMENTED: the service does not support cancel (Datastream, {name})', async () => {
    const op = scripted('datastream', { onCancel: 'unimplemented' });
    const result = await run({ operation: op.url, poll: FAST_POLL });
    expect(result).toMatchObject({ outcome: 'UNIMPLEMENTED', cancelAccepted: false, polls: 0, error: { code: 12 } });
    expect(stack.emulator.count({ route: 'get', name: op.name })).toBe(0);
  });

  test('NOT_CANCELLABLE: FAILED_PRECONDITION and still running', async () => {
    const op = scripted('alloydb', { onCancel: 'failed-precondition' });
    const result = await run({ operation: op.url, poll: FAST_POLL });
    expect(result).toMatchObject({ outcome: 'NOT_CANCELLABLE', cancelAccepted: false, polls: 1 });
  });

  test('a cancel answered FAILED_PRECONDITION on a finished operation reports how it finished', async () => {
    const op = scripted('alloydb', { initial: { kind: 'succeeded' } });
    const result = await run({ operation: op.url, poll: FAST_POLL });
    expect(result).toMatchObject({ outcome: 'COMPLETED', cancelAccepted: false, polls: 1 });
  });

  test("CANCELLED: Firestore's operations sit under the (default) database, parentheses and all", async () => {
    const name = `projects/p/databases/(default)/operations/${unique('ASA3NDEwOTg0NjExChp0bHVhZmVkBxJsYXJ0bmVjc3Utc2Jvai1uaW1kYRQKLRI')}`;
    stack.emulator.addOperation({
      name,
      apiVersion: 'v1',
      service: 'firestore.googleapis.com',
      afterCancel: { to: { kind: 'cancelled' } },
    });
    const url = `https://firestore.googleapis.com/v1/${name}`;
    const result = await run({ operation: url, poll: FAST_POLL });
    expect(result).toMatchObject({ outcome: 'CANCELLED', operation: url, cancelAccepted: true });
    expect(stack.emulator.requests.filter((r) => r.name === name).map((r) => r.path)).toEqual([
      `/v1/${name}:cancel`,
      `/v1/${name}`,
    ]);
  });

  test('NOT_FOUND after the grace period', async () => {
    const url = `https://alloydb.googleapis.com/v1beta/projects/p/locations/l/operations/${unique('missing')}`;
    const started = Date.now();
    const result = await run({ operation: url, poll: FAST_POLL, notFoundGracePeriod: '1s' });
    expect(result).toMatchObject({ outcome: 'NOT_FOUND', cancelAccepted: false, error: { code: 5 } });
    expect(result.polls).toBeGreaterThan(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  test('a just-created operation that is not visible yet is cancelled once it appears', async () => {
    const op = scripted('clouddeploy', { visibleAfterPolls: 2 });
    const result = await run({ operation: op.url, poll: FAST_POLL });
    expect(result).toMatchObject({ outcome: 'CANCELLED', cancelAccepted: true });
    expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(2);
  });

  test('NOT_FOUND when the operation disappears after the cancel', async () => {
    const op = scripted('alloydb', { afterCancel: { to: { kind: 'gone' } } });
    const result = await run({ operation: op.url, poll: FAST_POLL, notFoundGracePeriod: '300ms' });
    expect(result).toMatchObject({ outcome: 'NOT_FOUND', cancelAccepted: true });
  });

  test('TIMED_OUT: still running when the timeout passes', async () => {
    const op = scripted('alloydb', { afterCancel: { to: { kind: 'running' } } });
    const result = await run({ operation: op.url, timeout: '2s', poll: FAST_POLL });
    expect(result).toMatchObject({ outcome: 'TIMED_OUT', cancelAccepted: true });
    expect(Date.parse(result.finishedAt) - Date.parse(result.startedAt)).toBeGreaterThanOrEqual(2000);
  });

  test('PERMISSION_DENIED fails the workflow with that type after recording ERROR', async () => {
    const op = scripted('alloydb', { onCancel: 'permission-denied' });
    const handle = await startCancel(stack.env.client, { operation: op.url }, { taskQueue: stack.taskQueue });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const failure = (err as WorkflowFailedError).cause;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('PERMISSION_DENIED');
    expect(failure?.cause).toBeInstanceOf(ActivityFailure);
    expect(((failure?.cause as ActivityFailure).cause as ApplicationFailure).type).toBe('PERMISSION_DENIED');
    expect(await outcomeAttribute(handle)).toBe('ERROR');
    expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(1);
  });
});

describe('the cancel and the first GET in one activity', () => {
  const scheduledActivities = async (handle: WorkflowHandle) =>
    ((await handle.fetchHistory()).events ?? []).flatMap((event) => {
      const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
      return name ? [name] : [];
    });

  test('a cancel confirmed at its first GET takes one activity: cancelAndGet', async () => {
    const op = scripted('alloydb', { afterCancel: { to: { kind: 'cancelled' } } });
    const handle = await startCancel(stack.env.client, { operation: op.url }, { taskQueue: stack.taskQueue });
    expect(await handle.result()).toMatchObject({ outcome: 'CANCELLED', polls: 1, cancelAccepted: true });
    expect(await scheduledActivities(handle)).toEqual(['cancelAndGet']);
    const calls = stack.emulator.requests.filter((r) => r.name === op.name).map((r) => r.route);
    expect(calls).toEqual(['cancel', 'get']);
  });

  test('a failed first GET is polled again after the delay the service asked for, and the cancel is not sent twice', async () => {
    const op = scripted('alloydb', { afterCancel: { to: { kind: 'cancelled' } } });
    stack.emulator.failNext({ route: 'get', name: op.name }, { code: 'RESOURCE_EXHAUSTED', retryDelay: '2s' });
    const handle = await startCancel(stack.env.client, { operation: op.url }, { taskQueue: stack.taskQueue });
    expect(await handle.result()).toMatchObject({ outcome: 'CANCELLED', polls: 1, cancelAccepted: true });
    const calls = stack.emulator.requests.filter((r) => r.name === op.name);
    expect(calls.map((r) => [r.route, r.status])).toEqual([
      ['cancel', 200],
      ['get', 429],
      ['get', 200],
    ]);
    expect((calls[2]?.at ?? 0) - (calls[1]?.at ?? 0)).toBeGreaterThanOrEqual(2_000);
    expect(await scheduledActivities(handle)).toEqual(['cancelAndGet', 'getOperation']);
  });

  test('a GET that fails for good right after the cancel records ERROR at once, and the cancel is not sent again', async () => {
    const op = scripted('alloydb');
    stack.emulator.failNext({ route: 'get', name: op.name }, { code: 'PERMISSION_DENIED' });
    const handle = await startCancel(stack.env.client, { operation: op.url }, { taskQueue: stack.taskQueue });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(((err as WorkflowFailedError).cause as ApplicationFailure).type).toBe('PERMISSION_DENIED');
    expect(await outcomeAttribute(handle)).toBe('ERROR');
    expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(1);
    expect(stack.emulator.count({ route: 'get', name: op.name })).toBe(1);
  });

  test('a cancel answered NOT_FOUND for an operation GET can see is sent again once, not in a loop', async () => {
    const op = scripted('alloydb', { onCancel: 'not-found' });
    const result = await run({ operation: op.url, timeout: '2s', poll: FAST_POLL });
    expect(result).toMatchObject({ outcome: 'TIMED_OUT', cancelAccepted: false });
    expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(2);
  });
});

describe('the durable record', () => {
  test('result, search attributes and memo read back through the client and a visibility query', async () => {
    const op = scripted('alloydb');
    const handle = await startCancel(
      stack.env.client,
      { operation: op.url, poll: FAST_POLL },
      { taskQueue: stack.taskQueue },
    );
    const result = await handle.result();
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(LRO_OPERATION)).toBe(op.url);
    expect(description.typedSearchAttributes.get(LRO_SERVICE)).toBe('alloydb.googleapis.com');
    expect(description.typedSearchAttributes.get(LRO_OUTCOME)).toBe('CANCELLED');
    expect(String((await description.memo)?.['summary'])).toMatch(/^CANCELLED: /);
    expect(result.outcome).toBe('CANCELLED');

    const query = `LroOutcome="CANCELLED" AND LroOperation="${op.url}"`;
    const found = await eventually(
      () => listedIds(query),
      (ids) => ids.length > 0,
    );
    expect(found).toEqual([cancelWorkflowId(op.url)]);
  });

  test('a 900-character operation fits 255 characters, started from a client, as the Web UI starts, or by a parent', async () => {
    const longest = (how: string): string => {
      const { host, version, name } = SEEDS.alloydb(`${how}-${unique()}-`);
      const url = `https://${host}/${version}/${name}`;
      const padded = `${name}${'o'.repeat(MAX_OPERATION_LENGTH - url.length)}`;
      stack.emulator.addOperation({
        name: padded,
        apiVersion: version,
        service: host,
        afterCancel: { to: { kind: 'cancelled' } },
      });
      return `https://${host}/${version}/${padded}`;
    };
    const [client, webUi, parent] = [longest('client'), longest('web-ui'), longest('parent')];
    expect(client).toHaveLength(MAX_OPERATION_LENGTH);

    const started = await startCancel(
      stack.env.client,
      { operation: client, poll: FAST_POLL },
      { taskQueue: stack.taskQueue },
    );
    // The Web UI starts it by type with an ID the user typed (`temporal-gcp-lro id`), and no search attributes.
    const typed = await stack.env.client.workflow.start('cancelOperation', {
      args: [{ operation: webUi, poll: FAST_POLL }],
      workflowId: cancelWorkflowId(webUi),
      taskQueue: stack.taskQueue,
    });
    const teardown = await stack.env.client.workflow.start('teardown', {
      args: [parent],
      workflowId: unique('teardown'),
      taskQueue: stack.taskQueue,
    });
    expect(await teardown.result()).toBe('CANCELLED');

    for (const [url, handle] of [
      [client, started],
      [webUi, typed],
      [parent, stack.env.client.workflow.getHandle(cancelWorkflowId(parent))],
    ] as const) {
      const result = (await handle.result()) as CancelOperationResult;
      expect(result).toMatchObject({ outcome: 'CANCELLED', operation: url });
      expect(handle.workflowId).toHaveLength(MAX_ID_LENGTH);
      const attributes = (await handle.describe()).typedSearchAttributes;
      expect(attributes.get(LRO_OPERATION)).toBe(operationSearchValue(url));
      expect(attributes.get(LRO_OPERATION)).toHaveLength(MAX_ID_LENGTH);
      expect(attributes.get(LRO_OUTCOME)).toBe('CANCELLED');
    }
    const query = `LroOperation="${operationSearchValue(parent)}"`;
    const found = await eventually(
      () => listedIds(query),
      (ids) => ids.length > 0,
    );
    expect(found).toEqual([cancelWorkflowId(parent)]);
  });

  test('the status query shows live progress, and PENDING is recorded before the first call', async () => {
    const op = scripted('alloydb', { afterCancel: { to: { kind: 'running' } } });
    const handle = await startCancel(
      stack.env.client,
      { operation: op.url, timeout: '1h', poll: { initialInterval: '1h' } },
      { taskQueue: stack.taskQueue },
    );
    const status = await eventually(
      () => handle.query(statusQuery),
      (s) => s.polls >= 1,
    );
    expect(status).toMatchObject({
      operation: op.url,
      outcome: 'PENDING',
      phase: 'cancelling',
      polls: 1,
      cancelSent: true,
      cancelAccepted: true,
      cancelRequested: true,
    });
    expect(status.lastOperation?.state).toBe('running');
    expect(Date.parse(status.nextPollAt ?? '')).toBeGreaterThan(Date.now() + 30 * 60_000);
    expect(await outcomeAttribute(handle)).toBe('PENDING');

    // Operator controls: poll now, extend the timeout, give up.
    await handle.signal(pollNowSignal);
    await eventually(
      () => handle.query(statusQuery),
      (s) => s.polls >= 2,
    );
    const newDeadline = await handle.executeUpdate(extendTimeoutUpdate, { args: ['2h'] });
    expect(Date.parse(newDeadline) - Date.parse(status.deadline)).toBe(2 * 3600_000);
    const rejected = await handle.executeUpdate(extendTimeoutUpdate, { args: ['soon'] }).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((rejected as WorkflowUpdateFailedError).cause).toMatchObject({
      type: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/^by: must be a duration/),
    });
    await handle.signal(giveUpSignal);
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'TIMED_OUT', polls: 3 });
    expect(await outcomeAttribute(handle)).toBe('TIMED_OUT');
  });

  test('cancelling the workflow records ABANDONED and ends it as cancelled', async () => {
    const op = scripted('alloydb', { afterCancel: { to: { kind: 'running' } } });
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
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(await outcomeAttribute(handle)).toBe('ABANDONED');
    expect(String((await handle.describe()).memo?.['summary'])).toMatch(/^ABANDONED: /);
  });

  test('a 10 MB operation response stays out of history', async () => {
    const op = scripted('alloydb', {
      metadataPaddingBytes: 1024 * 1024,
      afterCancel: { to: { kind: 'succeeded' } },
      responsePaddingBytes: 10 * 1024 * 1024,
    });
    const handle = await startCancel(
      stack.env.client,
      { operation: op.url, poll: FAST_POLL },
      { taskQueue: stack.taskQueue },
    );
    const result = await handle.result();
    expect(result.outcome).toBe('COMPLETED');
    expect(JSON.stringify(result).length).toBeLessThan(64 * 1024);
    const history = await handle.fetchHistory();
    expect(JSON.stringify(history).length).toBeLessThan(512 * 1024);
  });
});

describe('one canceller per operation', () => {
  test('two starts for the same operation share one canceller', async () => {
    const op = scripted('alloydb', { afterCancel: { to: { kind: 'cancelled' }, afterPolls: 3 } });
    const input = { operation: op.url, poll: FAST_POLL };
    const [a, b] = await Promise.all([
      startCancel(stack.env.client, input, { taskQueue: stack.taskQueue }),
      startCancel(stack.env.client, input, { taskQueue: stack.taskQueue }),
    ]);
    expect(a.workflowId).toBe(cancelWorkflowId(op.url));
    expect(a.firstExecutionRunId).toBeTruthy();
    expect(b.firstExecutionRunId).toBe(a.firstExecutionRunId);
    const [ra, rb] = await Promise.all([a.result(), b.result()]);
    expect(ra).toEqual(rb);
    expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(1);
  });

  test('a parent workflow runs cancelOperation as a child and receives its outcome', async () => {
    const op = scripted('beyondcorp');
    const result = await stack.env.client.workflow.execute('parentCancels', {
      args: [{ operation: op.url, poll: FAST_POLL }],
      taskQueue: stack.taskQueue,
      workflowId: unique('parent'),
    });
    expect(result).toMatchObject({ outcome: 'CANCELLED', operation: op.url });
  });
});

describe('bad input', () => {
  async function startRaw(input: unknown) {
    return stack.env.client.workflow.start('cancelOperation', {
      args: [input],
      taskQueue: stack.taskQueue,
      workflowId: unique('bad'),
    });
  }

  async function expectInvalid(input: unknown, field: string): Promise<void> {
    const handle = await startRaw(input);
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    let failure = (err as WorkflowFailedError).cause;
    if (failure instanceof ApplicationFailure && failure.cause instanceof ActivityFailure)
      failure = failure.cause.cause;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('INVALID_ARGUMENT');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect((failure as ApplicationFailure).message.startsWith(`${field}: `)).toBe(true);
  }

  test('fails with INVALID_ARGUMENT naming the field, and nothing reaches the emulator', async () => {
    const before = stack.emulator.requests.filter((r) => r.route === 'cancel' || r.route === 'get').length;
    await expectInvalid(
      { operation: 'https://alloydb.googleapis.com/v1/projects/p/../../x/operations/o' },
      'operation',
    );
    await expectInvalid({ operation: 'http://alloydb.googleapis.com/v1/operations/o' }, 'operation');
    await expectInvalid({ operation: 'projects/p/operations/o', service: 'alloydb.googleapis.com' }, 'apiVersion');
    await expectInvalid({ operation: 'https://alloydb.googleapis.com/v1/operations/o', timeout: 'soon' }, 'timeout');
    await expectInvalid(
      { operation: 'https://alloydb.googleapis.com/v1/operations/o', poll: { backoffCoefficient: 0 } },
      'poll.backoffCoefficient',
    );
    await expectInvalid({ operation: 'https://alloydb.googleapis.com/v1/operations/o', extra: 1 }, 'extra');
    await expectInvalid('https://alloydb.googleapis.com/v1/operations/o', 'input');
    const after = stack.emulator.requests.filter((r) => r.route === 'cancel' || r.route === 'get').length;
    expect(after).toBe(before);
  });

  test('a host outside the allowlist is refused by the activity and receives zero requests', async () => {
    await expectInvalid({ operation: `${decoy.url}/v1/projects/p/locations/l/operations/o` }, 'operation');
    expect(decoy.requests).toHaveLength(0);
  });
});
