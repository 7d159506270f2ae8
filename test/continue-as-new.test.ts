/**
 * History stays bounded: with the server's continue-as-new suggestion lowered, a long canceller continues as
 * new several times and its final result still counts every poll, once cancel, from the first start.
 */
import { startCancel } from '../src/client';
import { statusQuery } from '../src/canceller-api';
import { startStack, unique, type Stack } from './support/harness';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ devServer: { dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } } });
});
afterAll(async () => {
  await stack?.stop();
});

test('continues as new and still returns the right result', async () => {
  const name = `projects/p/locations/l/operations/${unique()}`;
  stack.emulator.addOperation({ name, apiVersion: 'v1', afterCancel: { to: { kind: 'cancelled' }, afterPolls: 15 } });
  const operation = `https://alloydb.googleapis.com/v1/${name}`;
  const handle = await startCancel(
    stack.env.client,
    { operation, poll: { initialInterval: '50ms', maximumInterval: '100ms' } },
    { taskQueue: stack.taskQueue },
  );
  const result = await handle.result();

  expect(result).toMatchObject({ outcome: 'CANCELLED', cancelAccepted: true, polls: 16 });
  expect(stack.emulator.count({ route: 'cancel', name })).toBe(1);
  expect(stack.emulator.count({ route: 'get', name })).toBe(16);

  const first = stack.env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
  const firstHistory = await first.fetchHistory();
  const firstStart = firstHistory.events?.[0]?.eventTime;
  expect(firstHistory.events?.some((event) => event.workflowExecutionContinuedAsNewEventAttributes)).toBe(true);
  expect(Date.parse(result.startedAt)).toBeLessThanOrEqual(Number(firstStart?.seconds ?? 0) * 1000 + 1000);

  const latest = await handle.describe();
  expect(latest.runId).not.toBe(handle.firstExecutionRunId);
  const status = await stack.env.client.workflow.getHandle(handle.workflowId).query(statusQuery);
  expect(status).toMatchObject({ outcome: 'CANCELLED', phase: 'finished', polls: 16 });

  // Every run stays small: the suggestion (40 events) plus the poll in flight.
  const latestHistory = await stack.env.client.workflow.getHandle(handle.workflowId).fetchHistory();
  expect(latestHistory.events?.length ?? 0).toBeLessThan(60);
});
