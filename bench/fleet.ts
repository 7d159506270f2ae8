/**
 * Section 5 of the benchmark: a fleet. The same cancellations, once as one `cancelOperations` and once as as many
 * separate `cancelOperation` runs, side by side: Google calls of each kind, wall time, detection lag, history
 * events. Then the case where listing does not pay (a few of ours in a long list), where no round of the bulk may
 * cost more than a GET per operation. Both bulk runs' waits between rounds are checked against their schedule.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { bulkStatusQuery, type CancelOperationsResult } from '../src/domain/bulk-api';
import type { BatchInput } from '../src/domain/bulk-api';
import type { ConfirmAnswer, ConfirmCall } from '../src/domain/bulk-calls';
import { pollDelay } from '../src/domain/backoff';
import { startCancelAll } from '../src/temporal/bulk-client';
import { seededRandom } from '../src/testing/seeded-random';
import type { LoggedCall } from './emulator-process';
import {
  awaitResults,
  failures,
  mean,
  percentile,
  pool,
  progress,
  secs,
  type Stack,
  START_CONCURRENCY,
  startBenchCancel,
  table,
  TASK_QUEUE,
} from './support';

const SERVICE = 'alloydb.googleapis.com';
const VERSION = 'v1';
/** Cancellations take between these (uniform, seeded): several confirmation rounds each. */
const CANCEL_MIN_MS = 2_000;
const CANCEL_MAX_MS = 30_000;

interface Measured {
  calls: Record<LoggedCall['route'], number>;
  wallMs: number;
  lagsMs: number[];
  events: number;
  finished: number;
  /** Every run that did the cancelling. */
  handles: WorkflowHandle[];
}

/** Section 5: `n` operations in one location, cancelled in bulk and separately; and a list that does not pay. */
export async function fleet(stack: Stack, n: number): Promise<string> {
  progress(`5. fleet: ${n} operations in one location, by cancelOperations and by ${n} cancelOperation runs...`);
  const separate = await measure(stack, 'fleet-separate', n, 3, async (urls) => {
    const handles = await pool(urls, START_CONCURRENCY, (operation) => startBenchCancel(stack, { operation }));
    const results = await awaitResults(handles, 'CANCELLED', 'fleet, separate');
    return { handles, finished: results.filter((r) => r?.outcome === 'CANCELLED').length };
  });
  const bulk = await measure(stack, 'fleet-bulk', n, 3, async (urls) => {
    const handle = await startCancelAll(
      stack.client,
      { operations: urls, concurrency: 64, cancelsPerSecond: 1_000 },
      { taskQueue: TASK_QUEUE },
    );
    const result = await handle.result().catch(() => undefined);
    if (result?.counts.CANCELLED !== n)
      failures.push(`fleet, bulk: ${result?.counts.CANCELLED ?? 0} of ${n} CANCELLED`);
    return { handles: await runsOf(stack, handle), finished: result?.counts.CANCELLED ?? 0 };
  });

  progress(`   where listing does not pay: 20 operations of ours among 20,000 in one location...`);
  const few = 20;
  // Side by side at once: twenty operations each are no load, and the pair takes half a minute instead of one.
  const [crowdSeparate, crowdBulk] = await Promise.all([
    measure(
      stack,
      'crowd-separate',
      few,
      4,
      async (urls) => {
        const handles = await pool(urls, START_CONCURRENCY, (operation) => startBenchCancel(stack, { operation }));
        const results = await awaitResults(handles, 'CANCELLED', 'crowd, separate');
        return { handles, finished: results.filter((r) => r?.outcome === 'CANCELLED').length };
      },
      20_000,
    ),
    measure(
      stack,
      'crowd-bulk',
      few,
      4,
      async (urls) => {
        const handle = await startCancelAll(
          stack.client,
          { operations: urls, cancelsPerSecond: 100 },
          { taskQueue: TASK_QUEUE },
        );
        const result: CancelOperationsResult | undefined = await handle.result().catch(() => undefined);
        if (result?.counts.CANCELLED !== few)
          failures.push(`crowd, bulk: ${result?.counts.CANCELLED ?? 0} of ${few} CANCELLED`);
        return { handles: await runsOf(stack, handle), finished: result?.counts.CANCELLED ?? 0 };
      },
      20_000,
    ),
  ]);

  const confirming = (m: Measured): number => m.calls.get + m.calls.list + m.calls.wait;
  const ratio = confirming(bulk) / confirming(separate);
  const crowdRatio = confirming(crowdBulk) / confirming(crowdSeparate);
  const [bulkRecord, crowdRecord] = await Promise.all([batchRecord(bulk.handles), batchRecord(crowdBulk.handles)]);
  const { rounds } = crowdRecord;
  const dearRounds = rounds.filter((r) => r.calls > r.operations).length;
  // Every call the emulator logged is in a round the history shows: no attempt or run was left out of the check.
  const roundsOk = rounds.length > 0 && dearRounds === 0 && sum(rounds, 'calls') === confirming(crowdBulk);
  const cadenceOk = (r: BatchRecord): boolean => r.timers > 0 && r.lateTimers === 0;
  for (const [what, record] of [
    ['the bulk of the fleet', bulkRecord],
    ['the bulk where listing does not pay', crowdRecord],
  ] as const) {
    if (!cadenceOk(record)) {
      failures.push(
        `fleet: in ${what}, ${record.lateTimers} of ${record.timers} waits between rounds were longer than the schedule's`,
      );
    }
  }
  if (!(ratio <= 0.1)) failures.push(`fleet: confirmation calls ratio ${ratio.toFixed(3)} is above 1/10`);
  const lagOk = percentile(bulk.lagsMs, 50) <= percentile(separate.lagsMs, 50) + LAG_SLACK_MS;
  if (!lagOk) failures.push('fleet: the bulk median detection lag is more than 1 s worse than separate cancellers');
  if (!roundsOk) {
    failures.push(
      `fleet: where listing does not pay, ${dearRounds} of ${rounds.length} confirmation rounds made more calls than ` +
        `the operations they confirmed, or the rounds' ${sum(rounds, 'calls')} calls are not the ` +
        `${confirming(crowdBulk)} the emulator logged`,
    );
  }
  if (!(crowdRatio <= CROWD_RATIO_MAX)) {
    failures.push(`fleet: where listing does not pay, bulk ÷ separate calls is ${crowdRatio.toFixed(2)}`);
  }
  const row = (what: string, m: Measured): string[] => [
    what,
    `${m.finished} of ${m.calls.cancel}`,
    String(m.calls.get),
    String(m.calls.list),
    String(confirming(m)),
    secs(m.wallMs, 1),
    secs(percentile(m.lagsMs, 50)),
    secs(percentile(m.lagsMs, 90)),
    secs(mean(m.lagsMs)),
    String(m.events),
  ];
  const header = [
    'how',
    'CANCELLED of cancels sent',
    'GetOperation',
    'ListOperations',
    'confirmation calls',
    'wall time',
    'lag p50',
    'lag p90',
    'lag mean',
    'history events (all runs)',
  ];
  return [
    `## 5. A fleet: one \`cancelOperations\` against separate \`cancelOperation\` runs`,
    '',
    `${n} operations in one location, each cancelled ${secs(CANCEL_MIN_MS, 0)} to ${secs(CANCEL_MAX_MS, 0)} after ` +
      `its cancel arrives (uniform, seeded), cancelled once by ${n} separate cancellers (started ${START_CONCURRENCY} ` +
      `at a time, default schedule) and once by one \`cancelOperations\` with the list (concurrency 64, ` +
      `1,000 cancels/s: the pace is not what is measured), each on its own location. Calls are counted in the ` +
      `emulator's log; the detection lag of an operation is from the moment it was done (the cancel's arrival + its ` +
      `scripted time) to the first call that could see it done (its GET, or a list page of its location).`,
    '',
    table(header, [row(`${n} × cancelOperation`, separate), row('1 × cancelOperations', bulk)]),
    '',
    `Confirmation calls, bulk ÷ separate: **${ratio.toFixed(3)}** (goal ≤ 0.1); median lag ` +
      `${secs(percentile(bulk.lagsMs, 50))} against ${secs(percentile(separate.lagsMs, 50))} (goal: within ` +
      `${secs(LAG_SLACK_MS, 0)}: ${lagOk ? 'met' : 'MISSED'}; one schedule drives both, and the bulk's operations ` +
      `share one jittered sequence of rounds, so its median moves by a few tenths of a second from run to run). ` +
      `The cadence, exactly, from the batch's history: ${cadence(bulkRecord)}.`,
    '',
    `Where listing does not pay: ${few} operations of ours in a location that lists 20,000 running others (20 ` +
      `pages of 1,000). The bulk learns that from its first page (it saved no GET) and confirms by GET from then on; ` +
      `that round, one operation waits a round instead of its GET, so no round costs more than a GET each.`,
    '',
    table(header, [row(`${few} × cancelOperation`, crowdSeparate), row('1 × cancelOperations', crowdBulk)]),
    '',
    `Rounds of the bulk, from its history: ${rounds.length}, asked to confirm ${sum(rounds, 'operations')} ` +
      `operations in all, with ${sum(rounds, 'calls')} calls (the emulator logged ${confirming(crowdBulk)}); ` +
      `${dearRounds} made more calls than the operations it was asked to confirm (goal 0: ` +
      `${roundsOk ? 'met' : 'MISSED'}); ${cadence(crowdRecord)}. In all, ${confirming(crowdBulk)} confirmation calls against ` +
      `${confirming(crowdSeparate)}: ${crowdRatio.toFixed(2)} (goal ≤ ${CROWD_RATIO_MAX}: ` +
      `${crowdRatio <= CROWD_RATIO_MAX ? 'met' : 'MISSED'}; the same schedule drives both, and its jitter moves ` +
      `each total by a few calls from run to run, so the round is what is exact).`,
  ].join('\n');
}

/** One confirmation round of a bulk cancel: the operations it read, and the Google calls it made. */
interface Round {
  operations: number;
  calls: number;
}

/**
 * How much later the bulk's median detection may be than separate cancellers'. The lag of operations that take 2 to
 * 30 s moves little with the cadence, so this only catches the gross; the waits between rounds are checked exactly.
 */
const LAG_SLACK_MS = 1_000;

/** Bulk ÷ separate confirmation calls allowed where listing does not pay (the jitter moves either side). */
const CROWD_RATIO_MAX = 1.1;

/** What a bulk cancel's batches recorded: their confirmation rounds, and the waits between them. */
interface BatchRecord {
  rounds: Round[];
  /** Timers the batches started between rounds, and those longer than the schedule allows at their round. */
  timers: number;
  lateTimers: number;
}

/**
 * Reads every batch run's history: each `confirmOperations` round as its call and answer recorded, and each wait
 * against the batch's own schedule at that round (at most the schedule's interval with the largest jitter).
 */
async function batchRecord(handles: readonly WorkflowHandle[]): Promise<BatchRecord> {
  const batches = handles.filter((h) => /\/batch-\d+$/.test(h.workflowId));
  const runs = await pool(batches, 8, async (handle) => (await handle.fetchHistory()).events ?? []);
  const record: BatchRecord = { rounds: [], timers: 0, lateTimers: 0 };
  for (const events of runs) {
    const started = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    const input = defaultPayloadConverter.fromPayload<BatchInput>(started[0] ?? {});
    // A run continued as new carries its round count in its state.
    const carried = started[1] && defaultPayloadConverter.fromPayload<{ attempt: number } | null>(started[1]);
    let attempt = carried?.attempt ?? 0;
    const calls = new Map<string, number>();
    for (const event of events) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name === 'confirmOperations') {
        const call = defaultPayloadConverter.fromPayload<ConfirmCall>(scheduled.input?.payloads?.[0] ?? {});
        calls.set(String(event.eventId), call.operations.length);
        attempt += 1;
      }
      const completed = event.activityTaskCompletedEventAttributes;
      const operations = calls.get(String(completed?.scheduledEventId));
      if (completed && operations !== undefined) {
        const answer = defaultPayloadConverter.fromPayload<ConfirmAnswer>(completed.result?.payloads?.[0] ?? {});
        record.rounds.push({ operations, calls: answer.calls.get + answer.calls.list + answer.calls.wait });
      }
      const timer = event.timerStartedEventAttributes?.startToFireTimeout;
      if (timer) {
        const ms = Number(timer.seconds ?? 0) * 1000 + Math.round((timer.nanos ?? 0) / 1e6);
        record.timers += 1;
        if (ms > pollDelay(input.schedule, Math.max(0, attempt - 1), 1)) record.lateTimers += 1;
      }
    }
  }
  return record;
}

/** A sentence on a batch's waits between rounds. */
function cadence(record: BatchRecord): string {
  return (
    `${record.lateTimers} of the ${record.timers} waits between rounds were longer than the schedule allows ` +
    `(goal 0: ${record.timers > 0 && record.lateTimers === 0 ? 'met' : 'MISSED'})`
  );
}

function sum(rounds: readonly Round[], key: keyof Round): number {
  return rounds.reduce((total, round) => total + round[key], 0);
}

/**
 * Serves `n` operations of ours in location `location` (and `crowd` running others that never finish), runs
 * `cancel` on their URLs, and measures it from the emulator's log.
 */
async function measure(
  stack: Stack,
  location: string,
  n: number,
  seed: number,
  cancel: (urls: string[]) => Promise<{ handles: WorkflowHandle[]; finished: number }>,
  crowd = 0,
): Promise<Measured> {
  const parent = `projects/bench/locations/${location}`;
  const random = seededRandom(seed);
  const afterMs = new Map<string, number>();
  const scripts = [];
  for (let i = 0; i < crowd; i++) {
    scripts.push({ name: `${parent}/operations/other-${i}`, apiVersion: VERSION });
  }
  for (let i = 0; i < n; i++) {
    const name = `${parent}/operations/op-${i}`;
    const ms = Math.round(CANCEL_MIN_MS + random() * (CANCEL_MAX_MS - CANCEL_MIN_MS));
    afterMs.set(name, ms);
    scripts.push({ name, apiVersion: VERSION, afterCancel: { to: { kind: 'cancelled' as const }, afterMs: ms } });
  }
  await stack.emulator.add(scripts);
  const urls = [...afterMs.keys()].map((name) => `https://${SERVICE}/${VERSION}/${name}`);
  const t0 = Date.now();
  const { handles, finished } = await cancel(urls);
  const wallMs = Date.now() - t0;
  const log = await stack.emulator.calls(parent);
  const calls = { cancel: 0, get: 0, list: 0, wait: 0 };
  for (const call of log) calls[call.route] += 1;
  const lagsMs: number[] = [];
  for (const [name, ms] of afterMs) {
    const cancelAt = log.find((c) => c.route === 'cancel' && c.name === name)?.at ?? NaN;
    const doneAt = cancelAt + ms;
    const seen = log.find(
      (c) => c.at >= doneAt && (c.route === 'list' ? c.name === parent : c.name === name && c.route !== 'cancel'),
    );
    lagsMs.push((seen?.at ?? NaN) - doneAt);
  }
  const events = (await pool(handles, 8, async (h) => (await h.describe()).historyLength)).reduce((a, b) => a + b, 0);
  return { calls, wallMs, lagsMs, events, finished, handles };
}

/** Every run of a bulk cancel: the parent and each batch, across continue-as-new. */
async function runsOf(stack: Stack, handle: WorkflowHandle): Promise<WorkflowHandle[]> {
  const { batches } = await handle.query(bulkStatusQuery);
  const ids = [handle.workflowId];
  for (let batch = 0; batch < batches; batch++) ids.push(`${handle.workflowId}/batch-${batch}`);
  const handles: WorkflowHandle[] = [];
  for (const workflowId of ids) {
    for await (const wf of stack.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
      handles.push(stack.client.workflow.getHandle(wf.workflowId, wf.runId));
    }
  }
  return handles;
}
