/**
 * awaitOperation, the durable cancel-with-timeout, on the time-skipping test server: a 2 h timeout passes in
 * seconds of wall time.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { AwaitOperationInput } from '../src/domain/canceller-input';
import { startAwait } from '../src/temporal/client';
import type { AwaitOperationResult } from '../src/domain/outcome';
import type { ScriptedOperation } from '../src/testing/emulator';
import { startStack, unique, type Stack } from './support/harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ server: 'time-skipping' });
});
afterAll(async () => {
  await stack?.stop();
});

function scripted(script: Omit<ScriptedOperation, 'name'> = {}) {
  const name = `projects/p/locations/us-central1/operations/${unique()}`;
  stack.emulator.addOperation({ name, apiVersion: 'v1', service: 'clouddeploy.googleapis.com', ...script });
  return { url: `https://clouddeploy.googleapis.com/v1/${name}`, name };
}

async function run(input: AwaitOperationInput): Promise<{ result: AwaitOperationResult; wallMs: number }> {
  const started = Date.now();
  const handle = await startAwait(stack.env.client, input, { taskQueue: stack.taskQueue });
  const result = await handle.result();
  return { result, wallMs: Date.now() - started };
}

const TWO_HOURS = 2 * 3600_000;

test('finishing before a 2 h timeout: COMPLETED, timedOut false, no cancel sent', async () => {
  const op = scripted({ finish: { to: { kind: 'succeeded' }, afterPolls: 5 } });
  const { result } = await run({ operation: op.url, timeout: '2h' });
  expect(result).toMatchObject({ outcome: 'COMPLETED', timedOut: false, cancelAccepted: false, polls: 6 });
  expect(Date.parse(result.finishedAt) - Date.parse(result.startedAt)).toBeLessThan(TWO_HOURS);
  expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(0);
});

test('finishing with an error before the timeout: FAILED', async () => {
  const op = scripted({ finish: { to: { kind: 'failed', error: { code: 9, message: 'quota' } }, afterPolls: 2 } });
  const { result } = await run({ operation: op.url, timeout: '2h' });
  expect(result).toMatchObject({ outcome: 'FAILED', timedOut: false, error: { code: 9 } });
});

test('cancelled by someone else before the timeout: CANCELLED, timedOut false', async () => {
  const op = scripted({ finish: { to: { kind: 'cancelled' }, afterPolls: 3 } });
  const { result } = await run({ operation: op.url, timeout: '2h' });
  expect(result).toMatchObject({ outcome: 'CANCELLED', timedOut: false, cancelAccepted: false });
});

test('still running after a 2 h timeout: cancelled and confirmed, in seconds of wall time', async () => {
  const op = scripted({ afterCancel: { to: { kind: 'cancelled' }, afterPolls: 2 } });
  const { result, wallMs } = await run({ operation: op.url, timeout: '2h' });
  expect(result).toMatchObject({ outcome: 'CANCELLED', timedOut: true, cancelAccepted: true });
  expect(Date.parse(result.finishedAt) - Date.parse(result.startedAt)).toBeGreaterThanOrEqual(TWO_HOURS);
  expect(wallMs).toBeLessThan(60_000);
  expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(1);
  // After the warm-up the schedule polls about once a minute: ~2 h / 60 s, far below gax's count.
  expect(result.polls).toBeGreaterThan(100);
  expect(result.polls).toBeLessThan(160);
});

test('cancelOnTimeout false: TIMED_OUT without a cancel', async () => {
  const op = scripted();
  const { result } = await run({
    operation: op.url,
    timeout: '2h',
    cancelOnTimeout: false,
    poll: { initialInterval: '10m' },
  });
  expect(result).toMatchObject({ outcome: 'TIMED_OUT', timedOut: true, cancelAccepted: false });
  expect(stack.emulator.count({ route: 'cancel', name: op.name })).toBe(0);
});

test('timed out, and the cancel is not confirmed within cancelTimeout: TIMED_OUT', async () => {
  const op = scripted({ afterCancel: { to: { kind: 'running' } } });
  const { result } = await run({
    operation: op.url,
    timeout: '2h',
    cancelTimeout: '30m',
    poll: { initialInterval: '10m', maximumInterval: '10m' },
  });
  expect(result).toMatchObject({ outcome: 'TIMED_OUT', timedOut: true, cancelAccepted: true });
  expect(Date.parse(result.finishedAt) - Date.parse(result.startedAt)).toBeGreaterThanOrEqual(TWO_HOURS + 30 * 60_000);
});

test('timeout is required', async () => {
  const handle = await stack.env.client.workflow.start('awaitOperation', {
    args: [{ operation: 'https://clouddeploy.googleapis.com/v1/operations/x' }],
    taskQueue: stack.taskQueue,
    workflowId: unique('bad'),
  });
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toMatchObject({
    type: 'INVALID_ARGUMENT',
    message: expect.stringMatching(/^timeout: /),
  });
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(ApplicationFailure);
});
