/**
 * History stays bounded, and continuing as new is not an outcome: with the server's continue-as-new suggestion
 * lowered, a long canceller continues as new several times; every run records PENDING while it runs (in
 * `LroOutcome`, the memo and the Web UI), the last one the outcome, and `lro_outcomes` counts the canceller once; a
 * bulk cancel's batch counts each operation once, in whichever run it ended.
 */
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { statusQuery } from '../src/domain/canceller-api';
import { startCancelAll } from '../src/temporal/bulk-client';
import { startAwait, startCancel } from '../src/temporal/client';
import { OUTCOMES_METRIC } from '../src/domain/metrics';
import { LRO_OUTCOME } from '../src/domain/search-attributes';
import { freePort } from '../src/testing/free-port';
import { scrapeMetric, startStack, unique, type Stack } from './support/harness';

let stack: Stack;
let metricsBind: string;

beforeAll(async () => {
  metricsBind = `127.0.0.1:${await freePort()}`;
  stack = await startStack({
    devServer: { dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } },
    metricsBind,
  });
});
afterAll(async () => {
  await stack?.stop();
});

const FAST = { initialInterval: '50ms', maximumInterval: '100ms' } as const;

/** Every run of a workflow ID, oldest first. */
async function runs(client: Client, workflowId: string): Promise<WorkflowExecutionDescription[]> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) ids.push(wf.runId);
  const described = await Promise.all(ids.map((runId) => client.workflow.getHandle(workflowId, runId).describe()));
  return described.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
}

async function recorded(run: WorkflowExecutionDescription): Promise<{ outcome: unknown; memo: string }> {
  return { outcome: run.typedSearchAttributes.get(LRO_OUTCOME), memo: String((await run.memo)?.['summary']) };
}

/** `lro_outcomes` samples of this test's task queue, by outcome (of one workflow type, or of all). */
async function outcomesCounted(workflowType?: string): Promise<Record<string, number>> {
  const counted: Record<string, number> = {};
  for (const [labels, value] of await scrapeMetric(metricsBind, OUTCOMES_METRIC)) {
    if (!labels.includes(`taskQueue="${stack.taskQueue}"`)) continue;
    if (workflowType && !labels.includes(`workflowType="${workflowType}"`)) continue;
    const outcome = /outcome="([A-Z_]+)"/.exec(labels)?.[1] ?? '?';
    counted[outcome] = (counted[outcome] ?? 0) + value;
  }
  return counted;
}

test('continues as new and still returns the right result', async () => {
  const name = `projects/p/locations/l/operations/${unique()}`;
  stack.emulator.addOperation({ name, apiVersion: 'v1', afterCancel: { to: { kind: 'cancelled' }, afterPolls: 15 } });
  const operation = `https://alloydb.googleapis.com/v1/${name}`;
  const handle = await startCancel(stack.env.client, { operation, poll: FAST }, { taskQueue: stack.taskQueue });
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

test('every run records PENDING while it runs, the last one the outcome, and the metric counts the canceller once', async () => {
  const name = `projects/p/locations/l/operations/${unique()}`;
  // Cancelled once the test has looked at a closed run and the running one.
  stack.emulator.addOperation({ name, apiVersion: 'v1', afterCancel: { to: { kind: 'cancelled' }, afterMs: 60_000 } });
  const operation = `https://alloydb.googleapis.com/v1/${name}`;
  const countedBefore = await outcomesCounted();
  const handle = await startCancel(stack.env.client, { operation, poll: FAST }, { taskQueue: stack.taskQueue });

  // Wait until at least one run has continued as new, then read the closed run and the running one.
  let all: WorkflowExecutionDescription[] = [];
  for (const end = Date.now() + 30_000; Date.now() < end;) {
    all = await runs(stack.env.client, handle.workflowId);
    if (all.length >= 2) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(all.length).toBeGreaterThanOrEqual(2);
  const [closed, ...rest] = all;
  const running = rest.at(-1);
  expect(closed?.status.name).toBe('CONTINUED_AS_NEW');
  expect(await recorded(closed as WorkflowExecutionDescription)).toEqual({
    outcome: 'PENDING',
    memo: `PENDING: cancelling ${operation}`,
  });
  const now = await handle.describe();
  expect(now.status.name).toBe('RUNNING');
  expect(now.typedSearchAttributes.get(LRO_OUTCOME)).toBe('PENDING');
  expect(String((await now.memo)?.['summary'])).toBe(`PENDING: cancelling ${operation}`);
  expect(running).toBeDefined();
  expect(await outcomesCounted()).not.toHaveProperty('ERROR');

  stack.emulator.setState(name, { kind: 'cancelled' });
  const result = await handle.result();
  expect(result.outcome).toBe('CANCELLED');

  all = await runs(stack.env.client, handle.workflowId);
  const outcomes = await Promise.all(all.map(recorded));
  expect(outcomes.at(-1)).toEqual({ outcome: 'CANCELLED', memo: expect.stringMatching(/^CANCELLED: /) });
  for (const run of outcomes.slice(0, -1)) expect(run.outcome).toBe('PENDING');
  expect(outcomes.some((run) => run.outcome === 'ERROR' || run.memo.includes('ERROR'))).toBe(false);

  // Counted once, by the run that recorded the outcome.
  const counted = await outcomesCounted();
  expect(counted['CANCELLED'] ?? 0).toBe((countedBefore['CANCELLED'] ?? 0) + 1);
  expect(Object.keys(counted)).toEqual(['CANCELLED']);
});

test('awaitOperation continues as new without an ERROR too, and goes on to its outcome', async () => {
  const name = `projects/p/locations/l/operations/${unique()}`;
  stack.emulator.addOperation({ name, apiVersion: 'v1', finish: { to: { kind: 'succeeded' }, afterPolls: 14 } });
  const operation = `https://alloydb.googleapis.com/v1/${name}`;
  const handle = await startAwait(
    stack.env.client,
    { operation, timeout: '1h', poll: FAST },
    { taskQueue: stack.taskQueue },
  );
  expect(await handle.result()).toMatchObject({ outcome: 'COMPLETED', timedOut: false, polls: 15 });
  const all = await runs(stack.env.client, handle.workflowId);
  expect(all.length).toBeGreaterThanOrEqual(2);
  const outcomes = await Promise.all(all.map(recorded));
  expect(outcomes.map((run) => run.outcome)).toEqual([...Array(all.length - 1).fill('PENDING'), 'COMPLETED']);
});

test("a bulk cancel's batch counts each operation's outcome once, across its runs", async () => {
  const serve = (script: Parameters<typeof stack.emulator.addOperation>[0]['afterCancel']) => {
    const name = `projects/p/locations/l/operations/${unique()}`;
    stack.emulator.addOperation({ name, apiVersion: 'v1', afterCancel: script });
    return `https://alloydb.googleapis.com/v1/${name}`;
  };
  // One ends in the first round, the others rounds (and runs) later.
  const operations = [
    serve({ to: { kind: 'cancelled' } }),
    serve({ to: { kind: 'cancelled' }, afterMs: 6_000 }),
    serve({ to: { kind: 'succeeded' }, afterMs: 9_000 }),
  ];
  const countedBefore = await outcomesCounted('cancelOperationsBatch');
  expect(countedBefore).toEqual({});
  const handle = await startCancelAll(
    stack.env.client,
    { operations, cancelsPerSecond: 100 },
    { taskQueue: stack.taskQueue },
  );
  const result = await handle.result();
  expect(result.counts).toMatchObject({ CANCELLED: 2, COMPLETED: 1 });

  const batch = await runs(stack.env.client, `${handle.workflowId}/batch-0`);
  expect(batch.length).toBeGreaterThanOrEqual(2);
  expect(batch.slice(0, -1).every((run) => run.status.name === 'CONTINUED_AS_NEW')).toBe(true);
  expect(await outcomesCounted('cancelOperationsBatch')).toEqual({ CANCELLED: 2, COMPLETED: 1 });
}, 60_000);
