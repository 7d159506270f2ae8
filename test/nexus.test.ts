/**
 * The Nexus service across namespaces, on a real dev server: the README's endpoint command
 * (`examples/create-nexus-endpoint.sh`) points `gcp-lro` at the package's worker in `default`, and the README's
 * caller workflow (`examples/nexus-caller-workflow.ts`) runs in another namespace and gets the outcome. Two callers
 * for one operation share one canceller, and a caller after it ended gets its outcome; cancelling the only caller's
 * Nexus operation records ABANDONED on it, and one of two callers cancelling leaves it to the other. Bad input and
 * input the worker's policy refuses go through the same gate as every other entry point.
 */
import { Client, WorkflowFailedError } from '@temporalio/client';
import { HandlerError } from 'nexus-rpc';
import { scopePolicyFromEnv } from '../src/domain/scope-policy';
import { Worker } from '@temporalio/worker';
import { LRO_OUTCOME } from '../src/domain/search-attributes';
import { cancelWorkflowId } from '../src/domain/workflow-id';
import { eventually, runShellSnippet, startStack, unique, workflowBundle, type Stack } from './support/harness';

const CALLER_NAMESPACE = 'callers';
const CALLER_QUEUE = 'caller-tq';

let stack: Stack;
let caller: Client;
let callerWorker: Worker;
let callerRunning: Promise<void>;

beforeAll(async () => {
  stack = await startStack({
    devServer: { namespaces: [CALLER_NAMESPACE] },
    taskQueue: 'gcp-lro',
    policy: scopePolicyFromEnv({
      LRO_ALLOWED_SERVICES: 'alloydb.googleapis.com',
      LRO_IMPERSONATION_ALLOWED: '*@p.iam.gserviceaccount.com',
    }),
  });
  const created = await runShellSnippet('examples/create-nexus-endpoint.sh', stack.env.connection.options.address);
  expect(created).toMatchObject({ code: 0 });
  caller = new Client({ connection: stack.env.connection, namespace: CALLER_NAMESPACE });
  callerWorker = await Worker.create({
    connection: stack.env.nativeConnection,
    namespace: CALLER_NAMESPACE,
    taskQueue: CALLER_QUEUE,
    workflowBundle: await workflowBundle(),
  });
  callerRunning = callerWorker.run();
});
afterAll(async () => {
  callerWorker?.shutdown();
  await callerRunning;
  await stack?.stop();
});

function operation(afterCancel: 'now' | 'later'): { name: string; url: string } {
  const name = `projects/p/locations/us-central1/operations/${unique('nexus')}`;
  stack.emulator.addOperation({
    name,
    apiVersion: 'v1',
    afterCancel: { to: { kind: 'cancelled' }, ...(afterCancel === 'later' ? { afterMs: 60_000 } : {}) },
  });
  return { name, url: `https://alloydb.googleapis.com/v1/${name}` };
}

function startCaller(url: string) {
  return caller.workflow.start('cancelThroughNexus', {
    args: [url],
    taskQueue: CALLER_QUEUE,
    workflowId: unique('caller'),
  });
}

test('a caller in another namespace gets the outcome through the endpoint', async () => {
  const op = operation('now');
  expect(await (await startCaller(op.url)).result()).toBe('CANCELLED');
  const canceller = await stack.env.client.workflow.getHandle(cancelWorkflowId(op.url)).describe();
  expect(canceller.typedSearchAttributes.get(LRO_OUTCOME)).toBe('CANCELLED');
  expect(canceller.taskQueue).toBe('gcp-lro');
});

test('two callers for one operation share one canceller, and one cancel request', async () => {
  const op = operation('later');
  const [a, b] = await Promise.all([startCaller(op.url), startCaller(op.url)]);
  const canceller = stack.env.client.workflow.getHandle(cancelWorkflowId(op.url));
  await eventually(
    async () => (await canceller.describe().catch(() => undefined))?.status.name,
    (status) => status === 'RUNNING',
  );
  stack.emulator.setState(op.name, { kind: 'cancelled' });
  await canceller.signal('pollNow');
  expect(await Promise.all([a.result(), b.result()])).toEqual(['CANCELLED', 'CANCELLED']);
  expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(1);
  expect(await runsOf(cancelWorkflowId(op.url))).toHaveLength(1);
});

test("cancelling the caller's Nexus operation records ABANDONED on the canceller", async () => {
  const op = operation('later');
  const handle = await startCaller(op.url);
  const canceller = stack.env.client.workflow.getHandle(cancelWorkflowId(op.url));
  await eventually(
    async () => stack.emulator.count({ route: 'cancel', name: op.name }),
    (n) => n >= 1,
  );
  await handle.cancel();
  expect(await handle.result().catch((e: unknown) => e)).toBeInstanceOf(WorkflowFailedError);
  const abandoned = await eventually(
    async () => (await canceller.describe()).typedSearchAttributes.get(LRO_OUTCOME),
    (outcome) => outcome === 'ABANDONED',
  );
  expect(abandoned).toBe('ABANDONED');
  expect(String((await canceller.describe()).memo?.['summary'])).toMatch(/^ABANDONED: .*a cancel request was sent$/);
});

test('a caller that comes after the canceller ended gets its outcome, and no second cancel request', async () => {
  const op = operation('now');
  expect(await (await startCaller(op.url)).result()).toBe('CANCELLED');
  expect(await (await startCaller(op.url)).result()).toBe('CANCELLED');
  expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(1);
  expect(await runsOf(cancelWorkflowId(op.url))).toHaveLength(1);
});

test('one of two callers cancelling leaves the shared canceller to the other, which gets the outcome', async () => {
  const op = operation('later');
  const [a, b] = await Promise.all([startCaller(op.url), startCaller(op.url)]);
  const canceller = stack.env.client.workflow.getHandle(cancelWorkflowId(op.url));
  await eventually(
    async () => (await canceller.describe().catch(() => undefined))?.raw.callbacks?.length ?? 0,
    (callbacks) => callbacks === 2,
  );
  await a.cancel();
  // The cancel reached the handler, which left the canceller alone.
  await eventually(
    async () => (await a.fetchHistory()).events?.some((e) => e.nexusOperationCancelRequestCompletedEventAttributes),
    (done) => done === true,
  );
  const meanwhile = await canceller.describe();
  expect(meanwhile.status.name).toBe('RUNNING');
  expect(meanwhile.typedSearchAttributes.get(LRO_OUTCOME)).toBe('PENDING');
  stack.emulator.setState(op.name, { kind: 'cancelled' });
  await canceller.signal('pollNow');
  expect(await b.result()).toBe('CANCELLED');
  expect((await canceller.describe()).typedSearchAttributes.get(LRO_OUTCOME)).toBe('CANCELLED');
  expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(1);
});

test('bad input is refused by the handler (BAD_REQUEST) before anything starts or fetches a token', async () => {
  const since = new Date();
  const tokens = stack.emulator.count({ route: 'token' }) + stack.emulator.count({ route: 'metadata' });
  const handle = await startCaller('https://run.googleapis.com/v2/projects/p/locations/l/jobs/j/executions/e');
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const chain: unknown[] = [];
  for (let cause: unknown = err; cause instanceof Error; cause = cause.cause) chain.push(cause);
  const refusal = chain.find((cause): cause is HandlerError => cause instanceof HandlerError);
  expect(refusal?.type).toBe('BAD_REQUEST');
  expect(refusal?.message).toMatch(/operation: must name a long-running operation/);
  const started: string[] = [];
  const query = `WorkflowType = "cancelOperation" AND StartTime >= "${since.toISOString()}"`;
  for await (const wf of stack.env.client.workflow.list({ query })) started.push(wf.workflowId);
  expect(started).toEqual([]);
  expect(stack.emulator.requests.filter((r) => r.name?.includes('executions'))).toHaveLength(0);
  expect(stack.emulator.count({ route: 'token' }) + stack.emulator.count({ route: 'metadata' })).toBe(tokens);
});

test("input the worker's policy refuses fails the caller with PERMISSION_DENIED, and nothing reaches Google", async () => {
  const name = `projects/p/locations/l/operations/${unique('nexus-denied')}`;
  stack.emulator.addOperation({ name, apiVersion: 'v1', service: 'clouddeploy.googleapis.com' });
  const handle = await caller.workflow.start('cancelThroughNexusAs', {
    args: [`https://clouddeploy.googleapis.com/v1/${name}`, 'deployer@p.iam.gserviceaccount.com'],
    taskQueue: CALLER_QUEUE,
    workflowId: unique('caller'),
  });
  const err = await handle.result().catch((e: unknown) => e);
  const messages: string[] = [];
  for (let cause: unknown = err; cause instanceof Error; cause = cause.cause) messages.push(cause.message);
  expect(messages.join(' | ')).toMatch(/LRO_ALLOWED_SERVICES/);
  expect(stack.emulator.requests.filter((r) => r.name === name)).toHaveLength(0);
  expect(stack.emulator.count({ route: 'iam' })).toBe(0);
});

async function runsOf(workflowId: string): Promise<string[]> {
  const runs: string[] = [];
  for await (const wf of stack.env.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs.push(wf.runId);
  return runs;
}
