/**
 * The Nexus service across namespaces, on a real dev server: the README's endpoint command
 * (`examples/create-nexus-endpoint.sh`) points `gcp-lro` at the package's worker in `default`, and the README's
 * caller workflow (`examples/nexus-caller-workflow.ts`) runs in another namespace and gets the outcome. Two callers
 * for one operation share one canceller; cancelling a caller's Nexus operation records ABANDONED on it.
 */
import { Client, WorkflowFailedError } from '@temporalio/client';
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
  stack = await startStack({ devServer: { namespaces: [CALLER_NAMESPACE] }, taskQueue: 'gcp-lro' });
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
  const runs: string[] = [];
  for await (const wf of stack.env.client.workflow.list({ query: `WorkflowId = "${cancelWorkflowId(op.url)}"` })) {
    runs.push(wf.runId);
  }
  expect(runs).toHaveLength(1);
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

test('bad input is refused by the handler before anything starts', async () => {
  const handle = await startCaller('https://run.googleapis.com/v2/projects/p/locations/l/jobs/j/executions/e');
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const messages: string[] = [];
  for (let cause: unknown = err; cause instanceof Error; cause = cause.cause) messages.push(cause.message);
  expect(messages.join(' | ')).toMatch(/operation: must name a long-running operation/);
  expect(stack.emulator.requests.filter((r) => r.name?.includes('executions'))).toHaveLength(0);
});
