/**
 * Parents join one canceller: the README's parent example (`examples/parent-workflow.ts`, run as is), started
 * twice at once and once more after a simulated parent retry, for an operation whose canceller the CLI started
 * first: one cancel request, and every parent gets the outcome.
 */
import { PassThrough } from 'node:stream';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { runCli } from '../src/cli/main';
import { joinSignal, pollNowSignal } from '../src/domain/canceller-api';
import { LRO_OUTCOME } from '../src/domain/search-attributes';
import { startCancel } from '../src/temporal/client';
import { cancelWorkflowId } from '../src/domain/workflow-id';
import { startStack, unique, type Stack } from './support/harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

function operation(afterCancelMs: number, onCancel?: 'permission-denied'): { name: string; url: string } {
  const name = `projects/p/locations/us-central1/operations/${unique()}`;
  stack.emulator.addOperation({
    name,
    apiVersion: 'v1',
    afterCancel: { to: { kind: 'cancelled' }, afterMs: afterCancelMs },
    ...(onCancel ? { onCancel } : {}),
  });
  return { name, url: `https://alloydb.googleapis.com/v1/${name}` };
}

async function canceller(url: string) {
  return stack.env.client.workflow.getHandle(cancelWorkflowId(url)).describe();
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  const env = { ...process.env, TEMPORAL_ADDRESS: stack.env.connection.options.address };
  const code = await runCli(args, { stdout, stderr, env });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

function startParent(workflowId: string, url: string): Promise<WorkflowHandle> {
  return stack.env.client.workflow.start('teardown', { args: [url], taskQueue: stack.taskQueue, workflowId });
}

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The parent's current run has asked the canceller to tell it the outcome. */
async function hasJoined(handle: WorkflowHandle): Promise<boolean> {
  const events = (await stack.env.client.workflow.getHandle(handle.workflowId).fetchHistory()).events ?? [];
  return events.some((e) => e.externalWorkflowExecutionSignaledEventAttributes);
}

test('parents started twice at once and once more after a retry all get the one canceller the CLI started', async () => {
  const op = operation(6_000);
  const started = await cli(['cancel', op.url, '--task-queue', stack.taskQueue, '--poll-interval', '200ms']);
  expect(started).toMatchObject({ code: 0, stderr: '' });
  expect(started.stdout.trim()).toBe(cancelWorkflowId(op.url));

  const [first, second, retried] = await Promise.all(
    [unique('parent'), unique('parent'), unique('parent')].map((id) => startParent(id, op.url)),
  );
  // The third parent fails over (a crash, a reset) after joining, and its retry runs the same code again.
  await until(() => hasJoined(retried as WorkflowHandle));
  await (retried as WorkflowHandle).terminate('simulated parent failure');
  const retry = await startParent((retried as WorkflowHandle).workflowId, op.url);

  const outcomes = await Promise.all([first, second, retry].map((handle) => (handle as WorkflowHandle).result()));
  expect(outcomes).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
  expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(1);
  // The parents hear the outcome as the canceller records it, a moment before it completes.
  const canceller = stack.env.client.workflow.getHandle(cancelWorkflowId(op.url));
  expect(await canceller.result()).toMatchObject({ outcome: 'CANCELLED' });
  expect((await canceller.describe()).status.name).toBe('COMPLETED');
});

test('a parent alone starts the canceller as its child', async () => {
  const op = operation(0);
  const parent = await startParent(unique('parent'), op.url);
  expect(await parent.result()).toBe('CANCELLED');
  const canceller = await stack.env.client.workflow.getHandle(cancelWorkflowId(op.url)).describe();
  expect(canceller.raw.workflowExecutionInfo?.parentExecution?.workflowId).toBe(parent.workflowId);
  expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(1);
});

test.each(['PERMISSION_DENIED', 'DATA_LOSS'] as const)(
  "a canceller's %s failure reaches the parent that started it and the one that joined with one type",
  async (code) => {
    const op = operation(0);
    stack.emulator.failNext({ route: 'get', name: op.name }, { code, times: 100 });
    const [owner, joiner] = await Promise.all([
      startParent(unique('parent'), op.url),
      startParent(unique('parent'), op.url),
    ]);
    for (const parent of [owner, joiner]) {
      const err = await parent.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toBeInstanceOf(ApplicationFailure);
      expect(((err as WorkflowFailedError).cause as ApplicationFailure).type).toBe(code);
    }
    expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(1);
  },
);

test('cancelling the parent that started the canceller leaves it running for the others', async () => {
  const op = operation(3_000);
  const owner = await startParent(unique('parent'), op.url);
  await until(async () => (await canceller(op.url).catch(() => undefined))?.status.name === 'RUNNING');
  const joiner = await startParent(unique('parent'), op.url);
  await until(() => hasJoined(joiner));
  await owner.cancel();
  expect(await joiner.result()).toBe('CANCELLED');
  // The joiner hears the outcome as the canceller records it, a moment before it completes.
  await stack.env.client.workflow.getHandle(cancelWorkflowId(op.url)).result();
  const description = await canceller(op.url);
  expect(description.status.name).toBe('COMPLETED');
  expect(description.typedSearchAttributes.get(LRO_OUTCOME)).toBe('CANCELLED');
});

test('a parent that comes after the canceller ended reads its outcome, and sends no second cancel', async () => {
  const op = operation(0);
  expect(await (await startParent(unique('parent'), op.url)).result()).toBe('CANCELLED');
  const late = await startParent(unique('parent'), op.url);
  expect(await late.result()).toBe('CANCELLED');
  expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(1);
  expect((await late.fetchHistory()).events?.some((e) => e.activityTaskScheduledEventAttributes)).toBe(true);
});

test('a canceller takes at most 100 waiters, so its continue-as-new input stays bounded', async () => {
  const op = operation(60_000);
  const handle = await startCancel(
    stack.env.client,
    { operation: op.url, poll: { initialInterval: '1h' } },
    { taskQueue: stack.taskQueue },
  );
  for (let i = 0; i < 105; i++) await handle.signal(joinSignal, { workflowId: `waiter-${i}` });
  await handle.signal(joinSignal, { workflowId: 'x'.repeat(2_000) });
  stack.emulator.setState(op.name, { kind: 'cancelled' });
  await handle.signal(pollNowSignal);
  expect((await handle.result()).outcome).toBe('CANCELLED');
  const signalled = ((await handle.fetchHistory()).events ?? []).filter(
    (e) => e.signalExternalWorkflowExecutionInitiatedEventAttributes,
  );
  expect(signalled).toHaveLength(100);
});

test('bad input fails the parent workflow (not its task) with INVALID_ARGUMENT, before anything is sent', async () => {
  const before = stack.emulator.requests.length;
  const parent = await startParent(unique('parent'), 'https://alloydb.googleapis.com/v1/projects/p/../x');
  const err = await parent.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'INVALID_ARGUMENT', nonRetryable: true });
  expect(stack.emulator.requests.length).toBe(before);
});

test('cancelWorkflowId on bad input in a hand-written parent fails that workflow, not its task', async () => {
  const parent = await stack.env.client.workflow.start('parentCancels', {
    args: [{ operation: 'https://alloydb.googleapis.com/v1/projects/p/%2e%2e/operations/o' }],
    taskQueue: stack.taskQueue,
    workflowId: unique('parent'),
  });
  const err = await parent.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'INVALID_ARGUMENT', nonRetryable: true });
});
