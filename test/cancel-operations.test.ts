/**
 * `cancelOperations` on a real dev server against the emulator: a selector cancels exactly what it matches (the
 * service's filter honoured or ignored), with every outcome represented; a dry run sends nothing; a second start for
 * the same set joins the first; a list of 10,000 finishes with every run's history far from the limits; the
 * worker's policy holds per operation; bad input is refused before anything is sent.
 */
import { WorkflowFailedError } from '@temporalio/client';
import type { ScriptedOperation } from '../src/testing';
import { bulkStatusQuery, type CancelOperationsResult } from '../src/domain/bulk-api';
import { InvalidArgumentError } from '../src/domain/invalid-argument';
import { scopePolicyFromEnv } from '../src/domain/scope-policy';
import { LRO_OUTCOME } from '../src/domain/search-attributes';
import { cancelAllWorkflowId, startCancelAll } from '../src/temporal/bulk-client';
import { eventually, startStack, unique, type Stack } from './support/harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    policy: scopePolicyFromEnv({
      LRO_ALLOWED_SERVICES: 'alloydb.googleapis.com,clouddeploy.googleapis.com',
      LRO_ALLOWED_RESOURCES: 'projects/bulk-*',
    }),
  });
});
afterAll(async () => {
  await stack?.stop();
});

const ALLOYDB_TYPE = 'type.googleapis.com/google.cloud.alloydb.v1beta.OperationMetadata';

/** Serves an operation under `parent` and answers its resource name. */
function serve(parent: string, id: string, script: Partial<ScriptedOperation> = {}): string {
  const name = `${parent}/operations/${id}`;
  stack.emulator.addOperation({
    name,
    apiVersion: 'v1beta',
    service: 'alloydb.googleapis.com',
    metadata: { '@type': ALLOYDB_TYPE, createTime: '2026-11-30T08:00:00Z', verb: 'update' },
    afterCancel: { to: { kind: 'cancelled' }, afterMs: 200 },
    ...script,
  });
  return name;
}

function cancelsOf(name: string): number {
  return stack.emulator.requests.filter((r) => r.route === 'cancel' && r.name === name).length;
}

/** One operation of each outcome under `parent`, and operations the selector must leave alone. */
function fleet(parent: string, service = 'alloydb.googleapis.com') {
  const s = { service };
  const matching = {
    CANCELLED: serve(parent, 'cancelled', s),
    COMPLETED: serve(parent, 'completed', { ...s, afterCancel: { to: { kind: 'succeeded' }, afterMs: 200 } }),
    FAILED: serve(parent, 'failed', {
      ...s,
      afterCancel: { to: { kind: 'failed', error: { code: 13, message: 'disk full' } }, afterMs: 200 },
    }),
    UNIMPLEMENTED: serve(parent, 'unimplemented', { ...s, onCancel: 'unimplemented' }),
    NOT_CANCELLABLE: serve(parent, 'not-cancellable', { ...s, onCancel: 'failed-precondition', cancelFlag: 'none' }),
    NOT_FOUND: serve(parent, 'not-found', { ...s, onCancel: 'not-found' }),
    TIMED_OUT: serve(parent, 'timed-out', { ...s, afterCancel: { to: { kind: 'cancelled' }, afterMs: 3_600_000 } }),
  };
  const untouched = [
    serve(parent, 'already-done', { ...s, initial: { kind: 'succeeded' } }),
    serve(parent, 'too-new', { ...s, metadata: { '@type': ALLOYDB_TYPE, createTime: '2026-11-30T10:00:00Z' } }),
    serve(parent, 'other-type', {
      ...s,
      metadata: { '@type': 'type.googleapis.com/Other', createTime: '2026-11-30T08:00:00Z' },
    }),
    serve(`${parent}-elsewhere`, 'other-location', s),
    // The filter's own term, checked here even where the service ignores the filter.
    serve(parent, 'other-verb', {
      ...s,
      metadata: { '@type': ALLOYDB_TYPE, createTime: '2026-11-30T08:00:00Z', verb: 'delete' },
    }),
  ];
  return { matching, untouched };
}

async function run(input: Parameters<typeof startCancelAll>[1]): Promise<CancelOperationsResult> {
  const handle = await startCancelAll(stack.env.client, input, { taskQueue: stack.taskQueue });
  return handle.result();
}

test.each([
  ['honours', 'alloydb.googleapis.com'],
  ['ignores', 'clouddeploy.googleapis.com'],
])(
  'a selector cancels exactly what it matches when the service %s the filter, with every outcome',
  async (_how, service) => {
    if (service === 'clouddeploy.googleapis.com') stack.emulator.configureService(service, { listFilter: 'ignore' });
    const parent = `projects/${unique('bulk')}/locations/us-central1`;
    const { matching, untouched } = fleet(parent, service);
    const result = await run({
      select: {
        service,
        apiVersion: 'v1beta',
        parent,
        filter: 'done = false AND metadata.verb = "update"',
        createdBefore: '2026-11-30T09:00:00Z',
        metadataType: ALLOYDB_TYPE,
      },
      timeout: '4s',
      notFoundGracePeriod: '1s',
      cancelsPerSecond: 100,
    });
    expect(result.total).toBe(7);
    for (const [outcome, name] of Object.entries(matching)) {
      expect(cancelsOf(name)).toBeGreaterThanOrEqual(1);
      expect({ outcome, count: result.counts[outcome as keyof typeof result.counts] }).toEqual({ outcome, count: 1 });
    }
    for (const name of untouched) expect({ name, cancels: cancelsOf(name) }).toEqual({ name, cancels: 0 });
    expect(result.outcome).toBe('MIXED');
    expect(result.notCancelled.map((n) => n.outcome).sort()).toEqual(
      ['COMPLETED', 'FAILED', 'NOT_CANCELLABLE', 'NOT_FOUND', 'TIMED_OUT', 'UNIMPLEMENTED'].sort(),
    );
    expect(result.notCancelled.find((n) => n.outcome === 'FAILED')?.error?.message).toBe('disk full');
    // One cancel per operation that answered; NOT_FOUND is sent again while it may not be visible yet.
    expect(cancelsOf(matching.CANCELLED)).toBe(1);
  },
  60_000,
);

test('a dry run lists what would be cancelled and sends nothing', async () => {
  const parent = `projects/${unique('bulk')}/locations/us-east1`;
  const { matching } = fleet(parent);
  const since = stack.emulator.requests.length;
  const handle = await startCancelAll(
    stack.env.client,
    {
      select: {
        service: 'alloydb.googleapis.com',
        apiVersion: 'v1beta',
        parent,
        filter: 'metadata.verb = "update"',
        createdBefore: '2026-11-30T09:00:00Z',
        metadataType: ALLOYDB_TYPE,
      },
      dryRun: true,
    },
    { taskQueue: stack.taskQueue },
  );
  const result = await handle.result();
  expect(result.outcome).toBe('DRY_RUN');
  expect(result.operations?.map((o) => o.name).sort()).toEqual(Object.values(matching).sort());
  expect(result.operations?.[0]).toMatchObject({ createTime: '2026-11-30T08:00:00Z', metadataType: ALLOYDB_TYPE });
  expect(stack.emulator.requests.slice(since).filter((r) => r.route === 'cancel')).toHaveLength(0);
  const description = await handle.describe();
  expect(description.searchAttributes[LRO_OUTCOME.name]).toEqual(['DRY_RUN']);
  expect(handle.workflowId).toContain('dry-run:');
});

test('a second start for the same set joins the first: one cancel per operation', async () => {
  const parent = `projects/${unique('bulk')}/locations/europe-west1`;
  const names = Array.from({ length: 20 }, (_, i) =>
    serve(parent, `op-${i}`, { afterCancel: { to: { kind: 'cancelled' }, afterMs: 1_500 } }),
  );
  const urls = names.map((name) => `https://alloydb.googleapis.com/v1beta/${name}`);
  const first = await startCancelAll(
    stack.env.client,
    { operations: urls, cancelsPerSecond: 100 },
    { taskQueue: stack.taskQueue },
  );
  // The same set, in another order and with a repeat, is the same bulk cancel.
  const again = [...urls].reverse().concat(urls[0] as string);
  const second = await startCancelAll(
    stack.env.client,
    { operations: again, cancelsPerSecond: 100 },
    { taskQueue: stack.taskQueue },
  );
  expect(second.workflowId).toBe(first.workflowId);
  expect(second.firstExecutionRunId).toBe(first.firstExecutionRunId);
  const [a, b] = await Promise.all([first.result(), second.result()]);
  expect(a.counts.CANCELLED).toBe(20);
  expect(b).toEqual(a);
  for (const name of names) expect(cancelsOf(name)).toBe(1);
  expect(cancelAllWorkflowId({ operations: again })).toBe(first.workflowId);
}, 60_000);

test("per operation, the worker's policy holds: an operation outside it is ERROR and nothing is sent for it", async () => {
  const parent = `projects/${unique('bulk')}/locations/l`;
  const inside = serve(parent, 'inside');
  const outsideName = `projects/${unique('other')}/locations/l/operations/outside`;
  stack.emulator.addOperation({ name: outsideName, apiVersion: 'v1beta' });
  const result = await run({
    operations: [inside, outsideName],
    service: 'alloydb.googleapis.com',
    apiVersion: 'v1beta',
    cancelsPerSecond: 100,
  });
  expect(result.counts).toMatchObject({ CANCELLED: 1, ERROR: 1 });
  expect(result.notCancelled).toEqual([
    expect.objectContaining({ outcome: 'ERROR', error: expect.objectContaining({ status: 'PERMISSION_DENIED' }) }),
  ]);
  expect(result.notCancelled[0]?.error?.message).toMatch(/LRO_ALLOWED_RESOURCES/);
  expect(stack.emulator.requests.filter((r) => r.name === outsideName)).toHaveLength(0);
});

test('a selector on a service outside the policy ends ERROR and lists nothing', async () => {
  const since = stack.emulator.requests.length;
  const handle = await startCancelAll(
    stack.env.client,
    { select: { service: 'datastream.googleapis.com', apiVersion: 'v1', parent: 'projects/bulk-x/locations/l' } },
    { taskQueue: stack.taskQueue },
  );
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const messages: string[] = [];
  for (let cause: unknown = err; cause instanceof Error; cause = cause.cause) messages.push(cause.message);
  expect(messages.join(' | ')).toMatch(/LRO_ALLOWED_SERVICES/);
  expect(stack.emulator.requests.slice(since).filter((r) => r.route === 'list' || r.route === 'cancel')).toHaveLength(
    0,
  );
  expect((await handle.describe()).searchAttributes[LRO_OUTCOME.name]).toEqual(['ERROR']);
});

test('bad input is refused before anything starts, naming the field', async () => {
  expect(() =>
    cancelAllWorkflowId({
      operations: [
        'https://alloydb.googleapis.com/v1beta/projects/p/locations/l/operations/a',
        'https://evil.example/x',
      ],
    }),
  ).toThrow(InvalidArgumentError);
  await expect(
    startCancelAll(
      stack.env.client,
      { operations: ['projects/p/locations/l/operations/a'] },
      { taskQueue: stack.taskQueue },
    ),
  ).rejects.toThrow(/service: is required/);
  await expect(
    startCancelAll(stack.env.client, {
      operations: [
        'https://alloydb.googleapis.com/v1beta/projects/p/locations/l/operations/a',
        'https://alloydb.googleapis.com/v1beta/projects/p/locations/l/instances/i',
      ],
    }),
  ).rejects.toThrow(/^operations\[1\]: /);
  // The Web UI's path: a raw start by type name records ERROR.
  const handle = await stack.env.client.workflow.start('cancelOperations', {
    args: [{ select: { service: 'alloydb.googleapis.com', apiVersion: 'v1beta', parent: 'projects/p/../x' } }],
    taskQueue: stack.taskQueue,
    workflowId: unique('bad-bulk'),
  });
  await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
  expect((await handle.describe()).searchAttributes[LRO_OUTCOME.name]).toEqual(['ERROR']);
});

test('a selector matching more than maxOperations is refused before anything is sent', async () => {
  const parent = `projects/${unique('bulk')}/locations/l`;
  const names = Array.from({ length: 5 }, (_, i) => serve(parent, `op-${i}`));
  const handle = await startCancelAll(
    stack.env.client,
    { select: { service: 'alloydb.googleapis.com', apiVersion: 'v1beta', parent }, maxOperations: 4 },
    { taskQueue: stack.taskQueue },
  );
  await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
  for (const name of names) expect(cancelsOf(name)).toBe(0);
});

test('unreachable locations are reported, not ignored', async () => {
  const project = unique('bulk');
  serve(`projects/${project}/locations/us-central1`, 'a');
  serve(`projects/${project}/locations/europe-west9`, 'b');
  stack.emulator.setUnreachable([`projects/${project}/locations/europe-west9`]);
  const result = await run({
    select: { service: 'alloydb.googleapis.com', apiVersion: 'v1beta', parent: `projects/${project}/locations/-` },
    dryRun: true,
  });
  expect(result.unreachable).toEqual([`projects/${project}/locations/europe-west9`]);
  expect(result.operations?.map((o) => o.name)).toEqual([`projects/${project}/locations/us-central1/operations/a`]);
});

test('10,000 listed operations are cancelled with no run above 10,000 history events, confirmed by listing', async () => {
  const project = unique('bulk-big');
  const urls: string[] = [];
  for (let location = 0; location < 10; location++) {
    for (let i = 0; i < 1_000; i++) {
      const name = `projects/${project}/locations/l${location}/operations/op-${i}`;
      stack.emulator.addOperation({
        name,
        apiVersion: 'v1beta',
        afterCancel: { to: { kind: 'cancelled' }, afterMs: 500 },
      });
      urls.push(`https://alloydb.googleapis.com/v1beta/${name}`);
    }
  }
  const since = stack.emulator.requests.length;
  const handle = await startCancelAll(
    stack.env.client,
    { operations: urls, concurrency: 200, cancelsPerSecond: 1_000 },
    { taskQueue: stack.taskQueue },
  );
  const status = await eventually(
    () => handle.query(bulkStatusQuery),
    (s) => s.phase !== 'listing',
    30_000,
  );
  expect(status.total).toBe(10_000);
  const result = await handle.result();
  expect(result.counts.CANCELLED).toBe(10_000);
  expect(result.outcome).toBe('CANCELLED');
  const requests = stack.emulator.requests.slice(since);
  expect(requests.filter((r) => r.route === 'cancel')).toHaveLength(10_000);
  // Confirmed by listing: far fewer reads than one GET per operation.
  const reads = requests.filter((r) => r.route === 'get' || r.route === 'list').length;
  expect(reads).toBeLessThan(1_000);
  const { batches } = await handle.query(bulkStatusQuery);
  expect(batches).toBe(20);
  const runs = [handle.workflowId, ...Array.from({ length: batches }, (_, i) => `${handle.workflowId}/batch-${i}`)];
  for (const workflowId of runs) {
    for await (const wf of stack.env.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
      const { historyLength } = await stack.env.client.workflow.getHandle(wf.workflowId, wf.runId).describe();
      expect({ workflowId, historyLength: historyLength < 10_000 }).toEqual({ workflowId, historyLength: true });
    }
  }
}, 300_000);

test('where listing does not pay (a few of ours in a long list), it confirms by GET: a round never costs more than a GET each', async () => {
  const parent = `projects/${unique('bulk-crowd')}/locations/l`;
  for (let i = 0; i < 3_000; i++)
    stack.emulator.addOperation({ name: `${parent}/operations/other-${i}`, apiVersion: 'v1beta' });
  const ours = Array.from({ length: 10 }, (_, i) =>
    serve(parent, `ours-${i}`, { afterCancel: { to: { kind: 'cancelled' }, afterMs: 2_500 } }),
  );
  const since = stack.emulator.requests.length;
  const result = await run({
    operations: ours,
    service: 'alloydb.googleapis.com',
    apiVersion: 'v1beta',
    cancelsPerSecond: 100,
  });
  expect(result.counts.CANCELLED).toBe(10);
  const requests = stack.emulator.requests.slice(since);
  const lists = requests.filter((r) => r.route === 'list' && r.name === parent);
  const gets = requests.filter((r) => r.route === 'get' && r.name?.startsWith(parent));
  // One page to learn the list is long (it saved no GET; one operation waited a round for it), then GETs.
  expect(lists).toHaveLength(1);
  expect(gets.length).toBeGreaterThanOrEqual(10);
  // Rounds are the bursts of reads: none holds more calls than operations were waiting.
  const reads = [...lists, ...gets].sort((a, b) => a.at - b.at);
  const rounds: number[] = [];
  let last = -Infinity;
  for (const read of reads) {
    if (read.at - last > 300) rounds.push(0);
    rounds[rounds.length - 1] = (rounds.at(-1) ?? 0) + 1;
    last = read.at;
  }
  expect(Math.max(...rounds)).toBeLessThanOrEqual(10);
}, 60_000);

test('poll.mode wait: a few waiting operations are confirmed by WaitOperation as they finish; without it, by GET', async () => {
  const parent = `projects/${unique('bulk-wait')}/locations/l`;
  const ours = Array.from({ length: 3 }, (_, i) =>
    serve(parent, `w-${i}`, { afterCancel: { to: { kind: 'cancelled' }, afterMs: 2_000 } }),
  );
  const started = Date.now();
  const result = await run({
    operations: ours,
    service: 'alloydb.googleapis.com',
    apiVersion: 'v1beta',
    cancelsPerSecond: 100,
    poll: { mode: 'wait' },
  });
  expect(result.counts.CANCELLED).toBe(3);
  // Done 2 s after the cancels; a wait answers then, where the schedule would look again only at about 2.2 s + 1.7 s.
  expect(Date.now() - started).toBeLessThan(3_500);
  expect(result.calls.wait).toBeGreaterThanOrEqual(3);
  expect(stack.emulator.requests.filter((r) => r.route === 'wait' && r.name?.startsWith(parent)).length).toBe(
    result.calls.wait,
  );

  const service = 'clouddeploy.googleapis.com';
  stack.emulator.configureService(service, { listFilter: 'ignore', wait: false });
  const other = `projects/${unique('bulk-nowait')}/locations/l`;
  const theirs = Array.from({ length: 3 }, (_, i) =>
    serve(other, `n-${i}`, { service, afterCancel: { to: { kind: 'cancelled' }, afterMs: 500 } }),
  );
  const fallback = await run({
    operations: theirs,
    service: 'alloydb.googleapis.com',
    apiVersion: 'v1beta',
    cancelsPerSecond: 100,
    poll: { mode: 'wait' },
  });
  expect(fallback.counts.CANCELLED).toBe(3);
  // Waits answered UNIMPLEMENTED in the first round only; then the batch confirmed by listing or GET.
  const waits = stack.emulator.requests.filter((r) => r.route === 'wait' && r.name?.startsWith(other));
  expect(waits.length).toBeGreaterThanOrEqual(1);
  expect(waits.length).toBeLessThanOrEqual(3);
  expect(waits.every((r) => r.status === 501)).toBe(true);
  expect(fallback.calls.get + fallback.calls.list).toBeGreaterThanOrEqual(1);
}, 60_000);

test('a slow batch reads every operation before its deadline can end it: chunks are confirmed as they go', async () => {
  const parent = `projects/${unique('bulk-slow')}/locations/l`;
  const names = Array.from({ length: 150 }, (_, i) =>
    serve(parent, `s-${i}`, { afterCancel: { to: { kind: 'cancelled' }, afterMs: 100 } }),
  );
  // 150 cancels at 50 a second take 3 s: longer than the 1 s timeout of the first ones sent.
  const result = await run({
    operations: names,
    service: 'alloydb.googleapis.com',
    apiVersion: 'v1beta',
    cancelsPerSecond: 50,
    concurrency: 10,
    timeout: '1s',
  });
  expect(result.counts.CANCELLED).toBe(150);
  expect(result.counts.TIMED_OUT).toBe(0);
}, 60_000);

test('a malformed batchProgress signal (anyone can send one) is ignored, not fatal', async () => {
  const parent = `projects/${unique('bulk-signal')}/locations/l`;
  const names = Array.from({ length: 3 }, (_, i) =>
    serve(parent, `g-${i}`, { afterCancel: { to: { kind: 'cancelled' }, afterMs: 1_500 } }),
  );
  const handle = await startCancelAll(
    stack.env.client,
    { operations: names, service: 'alloydb.googleapis.com', apiVersion: 'v1beta', cancelsPerSecond: 100 },
    { taskQueue: stack.taskQueue },
  );
  await eventually(
    () => handle.query(bulkStatusQuery),
    (s) => s.phase === 'cancelling',
    10_000,
  );
  await handle.signal('batchProgress', { batch: 0 });
  await handle.signal('batchProgress', { batch: 0, total: 1, finished: 1, sent: 1, counts: null, calls: {} });
  const result = await handle.result();
  expect(result.counts.CANCELLED).toBe(3);
}, 60_000);
