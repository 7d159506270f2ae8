/**
 * Section 2 of the benchmark: Google API economy. GetOperation calls and detection lag of each named poll
 * schedule beside gax's and api-core's, simulated with the real `pollDelay` (see `schedules.ts`), and confirmed
 * by real runs of the default schedule for 1 s and 30 s cancellations.
 */
import { seededRandom } from '../src/testing/seeded-random';
import { API_CORE, NAMED, GAX, OURS, simulate, type SimulatedSchedule } from './schedules';
import {
  addOperations,
  awaitResults,
  failures,
  mean,
  OP_PREFIX,
  operationUrl,
  percentile,
  pool,
  progress,
  secs,
  type Stack,
  START_CONCURRENCY,
  startBenchCancel,
  table,
} from './support';

const SIMULATION_DRAWS = 4_000;
/** Each simulated cancel time is drawn within ±10% of the nominal one. */
const CANCEL_TIME_SPREAD = 0.1;
const CANCEL_TIMES_MS = [1_000, 30_000, 10 * 60_000, 2 * 60 * 60_000];
const REAL_CANCEL_TIMES_MS = [1_000, 30_000];

/** Section 2: the simulation, then `runs` real cancellers for each of the real cancel times. */
export async function economy(stack: Stack, runs: number): Promise<string> {
  progress(`2. economy: simulating ${SIMULATION_DRAWS} draws; real runs of ${runs} per case...`);
  const ourSchedules: SimulatedSchedule[] = [OURS, ...NAMED];
  const schedules: SimulatedSchedule[] = [OURS, GAX, API_CORE, ...NAMED];
  const figures = new Map(
    schedules.map((s) => [
      s,
      CANCEL_TIMES_MS.map((t) => simulate(s, t, { draws: SIMULATION_DRAWS, spread: CANCEL_TIME_SPREAD, seed: 1 })),
    ]),
  );
  const at = (s: SimulatedSchedule, j: number) => figures.get(s)?.[j] ?? { calls: NaN, lagMs: NaN, gaveUp: false };
  const simulated = table(
    ['schedule', ...CANCEL_TIMES_MS.map((t) => `${label(t)}: calls / mean lag`)],
    schedules.map((s) => [
      s.name,
      ...CANCEL_TIMES_MS.map((_, j) => {
        const f = at(s, j);
        return `${f.calls.toFixed(1)} / ${secs(f.lagMs)}${f.gaveUp ? ' †' : ''}`;
      }),
    ]),
  );

  const fewerCalls = (s: SimulatedSchedule, j: number) => at(s, j).calls <= at(GAX, j).calls;
  const shorterLag = (s: SimulatedSchedule, j: number) => at(s, j).lagMs <= at(API_CORE, j).lagMs;
  const yes = (ok: boolean) => (ok ? 'yes' : 'no');
  const goals = table(
    ['schedule', ...CANCEL_TIMES_MS.map((t) => `${label(t)}: calls ≤ gax / lag ≤ api-core`)],
    ourSchedules.map((s) => [
      s.name,
      ...CANCEL_TIMES_MS.map((_, j) => `${yes(fewerCalls(s, j))} / ${yes(shorterLag(s, j))}`),
    ]),
  );
  const names = (list: SimulatedSchedule[]) => (list.length === 0 ? 'none' : list.map((s) => s.name).join(', '));
  const bothAt = CANCEL_TIMES_MS.map((_, j) => ourSchedules.filter((s) => fewerCalls(s, j) && shorterLag(s, j)));
  const callsEverywhere = ourSchedules.filter((s) => CANCEL_TIMES_MS.every((_, j) => fewerCalls(s, j)));
  const lagEverywhere = ourSchedules.filter((s) => CANCEL_TIMES_MS.every((_, j) => shorterLag(s, j)));
  const defaultWhereBothCan = CANCEL_TIMES_MS.every(
    (_, j) => (bothAt[j] ?? []).length === 0 || (fewerCalls(OURS, j) && shorterLag(OURS, j)),
  );
  const conflict = CANCEL_TIMES_MS.filter((_, j) => (bothAt[j] ?? []).length === 0).map(label);
  if (!callsEverywhere.includes(OURS)) failures.push('economy: the default makes more calls than gax somewhere');
  if (lagEverywhere.length === 0) failures.push("economy: no named schedule matches api-core's lag everywhere");
  const verdict = [
    `- Both goals at once: ${CANCEL_TIMES_MS.map((t, j) => `${label(t)}: ${names(bothAt[j] ?? [])}`).join('; ')}.`,
    `- The default holds both wherever one of these schedules can: ${defaultWhereBothCan ? 'yes' : 'NO'}.`,
    `- Never more calls than gax, at every time: ${names(callsEverywhere)}.`,
    `- A lag no longer than api-core's, at every time: ${names(lagEverywhere)}.`,
    conflict.length === 0
      ? '- No trade-off left: one schedule holds both goals at every time.'
      : `- At ${conflict.join(' and ')} no schedule holds both: within gax's calls a poll comes about once a ` +
        `minute, and api-core's lag takes one about every 20 s. Choose by name: ` +
        `${lagEverywhere.map((s) => `\`"poll": {"schedule": ${s.name}}\``).join(' or ')} for the lag, the ` +
        `default for the calls.`,
  ].join('\n');
  const described = table(
    ['schedule', 'as simulated'],
    schedules.map((s) => [
      s.name,
      `${s.description}; first GET ${s.firstPoll === 'immediate' ? 'right after the cancel' : 'after the first delay'}`,
    ]),
  );

  // Real runs: the default schedule against operations that cancel about `nominalMs` after the cancel request,
  // drawn within the same spread as the simulation.
  const spreadRandom = seededRandom(2);
  const cases = await Promise.all(
    REAL_CANCEL_TIMES_MS.map(async (nominalMs) => {
      const afterMs = Array.from({ length: runs }, () =>
        Math.round(nominalMs * (1 - CANCEL_TIME_SPREAD + 2 * CANCEL_TIME_SPREAD * spreadRandom())),
      );
      const ids: string[] = [];
      for (const ms of afterMs) {
        ids.push(
          ...(await addOperations(stack, `s2-${nominalMs}-`, 1, {
            afterCancel: { to: { kind: 'cancelled' }, afterMs: ms },
          })),
        );
      }
      return { nominalMs, ids, afterMs };
    }),
  );
  const handles = await pool(
    cases.flatMap((c) => c.ids),
    START_CONCURRENCY,
    (id) => startBenchCancel(stack, { operation: operationUrl(id) }),
  );
  await awaitResults(handles, 'CANCELLED', 'economy runs');
  const closed = await pool(handles, START_CONCURRENCY, async (h) => (await h.describe()).closeTime?.getTime() ?? NaN);
  const closeById = new Map(cases.flatMap((c) => c.ids).map((id, i) => [id, closed[i] ?? NaN]));
  const calls = await stack.emulator.calls(`${OP_PREFIX}s2-`);
  const realRows = cases.map(({ nominalMs, ids, afterMs }) => {
    const gets: number[] = [];
    const lags: number[] = [];
    ids.forEach((id, i) => {
      const name = `${OP_PREFIX}${id}`;
      const mine = calls.filter((c) => c.name === name);
      const cancelAt = mine.find((c) => c.route === 'cancel')?.at ?? NaN;
      gets.push(mine.filter((c) => c.route === 'get').length);
      lags.push((closeById.get(id) ?? NaN) - (cancelAt + (afterMs[i] ?? NaN)));
    });
    const sim = at(OURS, CANCEL_TIMES_MS.indexOf(nominalMs));
    return [
      label(nominalMs),
      String(ids.length),
      `${mean(gets).toFixed(1)} (${Math.min(...gets)}–${Math.max(...gets)})`,
      sim.calls.toFixed(1),
      secs(mean(lags)),
      secs(percentile(lags, 100)),
      secs(sim.lagMs),
    ];
  });
  const real = table(
    [
      'cancel takes',
      'runs',
      'GETs real: mean (min–max)',
      'GETs simulated',
      'lag real: mean',
      'lag real: max',
      'lag simulated',
    ],
    realRows,
  );
  return [
    `## 2. Google API economy`,
    '',
    `GetOperation calls until the GET that sees the operation done, and the detection lag (operation done → that ` +
      `GET), for operations whose cancellation takes about each time. Simulated with the package's own ` +
      `\`pollDelay\`, averaged over ${SIMULATION_DRAWS} runs of a seeded generator (mulberry32, seed 1) that draws ` +
      `each cancel time within ±${CANCEL_TIME_SPREAD * 100}% of the nominal one (so that no figure hinges on a GET ` +
      `landing on the very instant the operation finishes) and the ±10% jitter of ours; gax and api-core have no ` +
      `jitter. Calls take no time in the simulation.`,
    '',
    simulated,
    '',
    `The goals, checked for each of our schedules: never more calls than gax, and a lag no longer than api-core's.`,
    '',
    goals,
    '',
    verdict,
    '',
    `† api-core gives up after its 900 s total, so it never sees a 2 h cancel (its figures are what it would take ` +
      `without that limit). Our \`cancelOperation\` default \`timeout\` is 1 h: a 2 h cancel needs \`timeout\` ≥ 2h, ` +
      `or it ends TIMED_OUT.`,
    '',
    described,
    '',
    `Confirmed by real runs of \`cancelOperation\` (default schedule) against the emulator (\`afterCancel: { afterMs }\`, ` +
      `afterMs drawn within the same ±${CANCEL_TIME_SPREAD * 100}%, seed 2): ` +
      `GETs counted from the emulator's request log; lag = server close time of the workflow − (the cancel's ` +
      `arrival at the emulator + afterMs), so it includes the activity round trips the simulation leaves out.`,
    '',
    real,
  ].join('\n');
}

/** A cancel time for tables: `30 s`, `10 min`, `2 h`. */
function label(ms: number): string {
  if (ms < 60_000) return `${ms / 1000} s`;
  if (ms < 3_600_000) return `${ms / 60_000} min`;
  return `${ms / 3_600_000} h`;
}
