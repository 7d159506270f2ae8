/**
 * Section 6 of the benchmark: `awaitOperation` with WaitOperation (`poll.mode: "wait"`) against the default
 * schedule, on operations that finish on their own: calls and detection lag, placed against the frontier no blind
 * poller can cross (calls × mean lag ≥ T/2).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { WAIT_CALL_MAX_MS } from '../src/domain/canceller-input';
import { startAwait } from '../src/temporal/client';
import { seededRandom } from '../src/testing/seeded-random';
import { OURS, simulate } from './schedules';
import {
  failures,
  mean,
  newIds,
  OP_PREFIX,
  operationUrl,
  percentile,
  pool,
  progress,
  secs,
  type Stack,
  START_CONCURRENCY,
  table,
  TASK_QUEUE,
} from './support';

/** The horizon measured for real; the longer ones follow from it (see the section's text). */
const REAL_FINISH_MS = 60_000;
const HORIZONS_MS = [60_000, 10 * 60_000, 2 * 60 * 60_000];
const SPREAD = 0.1;

interface Real {
  calls: number[];
  lagsMs: number[];
}

/** Section 6: `runs` awaits of each mode on operations finishing about a minute in, and the longer horizons. */
export async function waitEconomy(stack: Stack, runs: number): Promise<string> {
  progress(`6. WaitOperation: ${runs} awaitOperation of each mode on operations finishing about 1 min in...`);
  const [waiting, polling] = await Promise.all([measure(stack, 'wait', runs, 11), measure(stack, 'get', runs, 12)]);
  const waitLag = mean(waiting.lagsMs);
  const rows: string[][] = [];
  let fewer = true;
  for (const horizon of HORIZONS_MS) {
    const blind = simulate(OURS, horizon, { draws: 4_000, spread: SPREAD, seed: 1 });
    // One GET at the start, then one wait per cap until the operation finishes; the wait answers as it does.
    const waitCalls = horizon === REAL_FINISH_MS ? mean(waiting.calls) : 1 + Math.ceil(horizon / WAIT_CALL_MAX_MS);
    if (horizon > REAL_FINISH_MS && !(waitCalls < blind.calls)) fewer = false;
    const frontier = horizon / 2;
    rows.push(
      [
        label(horizon),
        'default schedule (get)',
        blind.calls.toFixed(1),
        secs(blind.lagMs),
        ((blind.calls * blind.lagMs) / frontier).toFixed(2),
        'simulated',
      ],
      [
        label(horizon),
        'wait',
        waitCalls.toFixed(1),
        secs(waitLag),
        ((waitCalls * waitLag) / frontier).toFixed(4),
        horizon === REAL_FINISH_MS ? `real (${runs} runs)` : 'projected from the real runs',
      ],
    );
  }
  const realTable = table(
    ['mode', 'runs', 'calls: mean (min–max)', 'lag: mean', 'lag: p50', 'lag: max'],
    [
      ['default schedule (get)', polling],
      ['wait', waiting],
    ].map(([name, m]) => {
      const r = m as Real;
      return [
        name as string,
        String(r.calls.length),
        `${mean(r.calls).toFixed(1)} (${Math.min(...r.calls)}–${Math.max(...r.calls)})`,
        secs(mean(r.lagsMs)),
        secs(percentile(r.lagsMs, 50)),
        secs(percentile(r.lagsMs, 100)),
      ];
    }),
  );
  const within = percentile(waiting.lagsMs, 100) <= 1_000;
  if (!within) failures.push(`wait: a lag of ${secs(percentile(waiting.lagsMs, 100))} is above 1 s`);
  if (!fewer) failures.push('wait: not fewer calls than the default schedule at 10 min and 2 h');
  return [
    '## 6. WaitOperation against blind polling',
    '',
    `\`awaitOperation\` on operations that finish on their own about ${label(REAL_FINISH_MS)} after it starts ` +
      `(±${SPREAD * 100}%, seeded), ${runs} with \`"poll": {"mode": "wait"}\` and ${runs} with the default ` +
      `schedule, at the same time against the emulator (which holds a wait until the operation is done). Calls are ` +
      `GetOperation and WaitOperation requests in the emulator's log; lag = the workflow's close time − the ` +
      `operation's finish, so it includes the activity and workflow task round trips.`,
    '',
    realTable,
    '',
    `Each horizon, against the frontier of blind polling (a poller that does not know when the operation ends ` +
      `needs calls × mean lag ≥ T/2; the column is calls × lag ÷ T/2). The default schedule is simulated with ` +
      `\`pollDelay\` as in section 2. A wait is answered when the operation finishes, whatever T is, so its lag at ` +
      `10 min and 2 h is the lag measured at 1 min, and it makes one GET and then one call per ` +
      `${secs(WAIT_CALL_MAX_MS, 0)} (the most a call asks the service to wait).`,
    '',
    table(['T', 'mode', 'calls', 'mean lag', 'calls × lag ÷ T/2', 'source'], rows),
    '',
    `Goals: every wait detected within 1 s of the finish (max ${secs(percentile(waiting.lagsMs, 100))}: ` +
      `${within ? 'met' : 'MISSED'}); fewer calls than the default schedule at 10 min and 2 h: ` +
      `${fewer ? 'met' : 'MISSED'}. The price is a worker activity slot held for each waiting canceller (see the ` +
      `README's WaitOperation section).`,
  ].join('\n');
}

async function measure(stack: Stack, mode: 'get' | 'wait', runs: number, seed: number): Promise<Real> {
  const random = seededRandom(seed);
  const ids = newIds(`s6-${mode}-`, runs);
  const finishMs = ids.map(() => Math.round(REAL_FINISH_MS * (1 - SPREAD + 2 * SPREAD * random())));
  await stack.emulator.add(
    ids.map((id, i) => ({
      name: `${OP_PREFIX}${id}`,
      apiVersion: 'v1',
      finish: { to: { kind: 'succeeded' as const }, afterMs: finishMs[i] ?? 0 },
    })),
  );
  const addedAt = Date.now();
  const handles: WorkflowHandle[] = await pool(ids, START_CONCURRENCY, (id) =>
    startAwait(
      stack.client,
      { operation: operationUrl(id), timeout: '10m', cancelOnTimeout: false, poll: { mode } },
      { taskQueue: TASK_QUEUE },
    ),
  );
  const closed = await pool(handles, START_CONCURRENCY, async (h) => {
    const result = (await h.result().catch(() => undefined)) as { outcome?: string } | undefined;
    if (result?.outcome !== 'COMPLETED') failures.push(`wait economy (${mode}): an await ended ${result?.outcome}`);
    return (await h.describe()).closeTime?.getTime() ?? NaN;
  });
  const log = await stack.emulator.calls(`${OP_PREFIX}s6-${mode}-`);
  return {
    calls: ids.map((id) => log.filter((c) => c.name === `${OP_PREFIX}${id}` && c.route !== 'cancel').length),
    lagsMs: closed.map((at, i) => at - (addedAt + (finishMs[i] ?? NaN))),
  };
}

function label(ms: number): string {
  if (ms < 3_600_000) return `${ms / 60_000} min`;
  return `${ms / 3_600_000} h`;
}
