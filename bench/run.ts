/**
 * `npm run bench [-- --quick]`: what a canceller costs, measured on a real stack on this machine. It starts an
 * embedded Temporal dev server and the Google emulator (in a child process) on 127.0.0.1 and one worker in
 * this process, then measures:
 *
 * 1. overhead against the Temporal floor (a workflow calling two no-op activities), back to back, ABBA;
 * 2. Google API economy: GetOperation calls and detection lag of our schedule beside gax's and api-core's,
 *    simulated with the real `pollDelay` and confirmed by real runs for 1 s and 30 s cancellations;
 * 3. resources: token fetches and TCP connections per 1,000 cancels, history events, memory while waiting;
 * 4. scale: many concurrent cancellers on one worker.
 *
 * It prints one table per section and writes them to BENCHMARKS.md. Exit 0 when every run finished as
 * scripted, 1 otherwise.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Client, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { Compute, GoogleAuth } from 'google-auth-library';
import { createActivities, type ActivityDeps } from '../activities';
import { DEFAULT_POLL_SCHEDULE, pollDelay } from '../src/domain/backoff';
import { startCancel } from '../src/temporal/client';
import { CLOUD_PLATFORM_SCOPE, googleAuthorizer } from '../src/google/google-auth';
import { createDispatcher } from '../src/google/http-dispatcher';
import { parseAllowedHosts } from '../src/domain/operation-ref';
import type { CancelOperationResult } from '../src/domain/outcome';
import type { ScriptedOperation } from '../src/testing/emulator';
import { findTemporalBinary, TEMPORAL_CLI } from '../src/testing/temporal-binaries';
import { startDevServer } from '../src/testing/temporal-servers';
import { createFloorActivities } from './floor-activities';
import { seededRandom } from '../src/testing/seeded-random';
import { API_CORE, NAMED, GAX, OURS, simulate, type SimulatedSchedule } from './schedules';
import {
  binaryVersion,
  EmulatorProcess,
  findDevServerPid,
  machine,
  machineCpuMs,
  mean,
  mib,
  packageVersion,
  percentile,
  pool,
  processCpuMs,
  procStatusBytes,
  ROOT,
  secs,
  table,
} from './support';

const USAGE = `Usage: npm run bench [-- --quick]

Starts a Temporal dev server, the Google emulator and one worker on 127.0.0.1, measures cancellers against
the Temporal floor, Google API economy, resources and scale, prints the tables and writes BENCHMARKS.md.

  --quick   smaller counts (a few minutes)
  --help    show this text
`;

interface Sizes {
  /** Cancellers, and as many floor workflows, in section 1. */
  overhead: number;
  /** Real runs per cancellation time in section 2. */
  economyRuns: number;
  /** Cancellers waiting at once in section 3. */
  waiting: number;
  /** Concurrent cancellers in section 4. */
  scale: number;
}

const FULL: Sizes = { overhead: 1_000, economyRuns: 20, waiting: 2_000, scale: 10_000 };
const QUICK: Sizes = { overhead: 200, economyRuns: 10, waiting: 2_000, scale: 1_000 };
const TASK_QUEUE = 'bench';
const NAMESPACE = 'default';
const OP_PREFIX = 'projects/bench/locations/l/operations/';
const START_CONCURRENCY = 32;
const RESULT_CONCURRENCY = 256;
/** Bound on every wait for workflows to finish, so a stuck run ends as a failure rather than hanging. */
const PHASE_DEADLINE_MS = 30 * 60_000;
const SIMULATION_DRAWS = 4_000;
/** Each simulated cancel time is drawn within ±10% of the nominal one. */
const CANCEL_TIME_SPREAD = 0.1;
const CANCEL_TIMES_MS = [1_000, 30_000, 10 * 60_000, 2 * 60 * 60_000];
const REAL_CANCEL_TIMES_MS = [1_000, 30_000];

interface Stack {
  env: TestWorkflowEnvironment;
  client: Client;
  emulator: EmulatorProcess;
  deps: ActivityDeps;
  worker: Worker;
  running: Promise<void>;
  devServerPid: number | undefined;
}

/** Everything that went wrong; any entry makes the exit code 1. */
const failures: string[] = [];

async function main(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((arg) => !['--quick', '--help', '-h'].includes(arg));
  if (argv.includes('--help') || argv.includes('-h') || unknown.length > 0) {
    if (unknown.length > 0) process.stderr.write(`unknown argument: ${unknown.join(' ')}\n\n`);
    process.stderr.write(USAGE);
    return unknown.length > 0 ? 2 : 0;
  }
  const quick = argv.includes('--quick');
  const sizes = quick ? QUICK : FULL;
  const command = `npm run bench${quick ? ' -- --quick' : ''}`;
  const started = Date.now();

  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  progress(`${command}: starting a Temporal dev server, the Google emulator and a worker on 127.0.0.1...`);
  const stack = await startStack();
  const sections: string[] = [];
  try {
    sections.push(await overheadAndResources(stack, sizes));
    sections.push(await economy(stack, sizes));
    sections.push(await waitingMemory(stack, sizes));
    sections.push(await scale(stack, sizes));
  } finally {
    await stopStack(stack);
  }
  const totalMs = Date.now() - started;
  const report = formatReport(command, sections, totalMs);
  if (report.includes('NaN')) failures.push('a figure is missing: the report has NaN in it');
  process.stdout.write(`${report}\n`);
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), `${report}\n`);
  progress(`wrote BENCHMARKS.md (${secs(totalMs, 0)} in all)`);
  if (failures.length > 0) {
    process.stderr.write(`FAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
    return 1;
  }
  return 0;
}

async function startStack(): Promise<Stack> {
  const [env, emulator, workflowBundle] = await Promise.all([
    startDevServer({ log: progress }),
    EmulatorProcess.start(),
    bundleWorkflowCode({
      workflowsPath: require.resolve('./bench-workflows'),
      logger: new DefaultLogger('WARN'),
    }),
  ]);
  // google-auth-library's metadata-server flow, as on GKE / Cloud Run / GCE, aimed at the emulator.
  process.env['GCE_METADATA_HOST'] = emulator.hostPort;
  delete process.env['GOOGLE_APPLICATION_CREDENTIALS'];
  const deps: ActivityDeps = {
    authorizer: googleAuthorizer(new GoogleAuth({ authClient: new Compute({ scopes: [CLOUD_PLATFORM_SCOPE] }) })),
    dispatcher: createDispatcher(),
    allowlist: parseAllowedHosts(''),
    emulatorHost: emulator.hostPort,
  };
  // As createCancellerWorker builds it (its defaults), plus the floor's activity.
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: NAMESPACE,
    taskQueue: TASK_QUEUE,
    workflowBundle,
    activities: { ...createActivities(deps), ...createFloorActivities() },
  });
  const running = worker.run();
  running.catch((err: unknown) => failures.push(`worker stopped: ${String(err)}`));
  const port = env.connection.options.address.split(':').pop() ?? '';
  return { env, client: env.client, emulator, deps, worker, running, devServerPid: findDevServerPid(port) };
}

async function stopStack(stack: Stack): Promise<void> {
  const steps: (() => Promise<void>)[] = [
    async () => {
      if (stack.worker.getState() === 'RUNNING') stack.worker.shutdown();
      await stack.running.catch(() => undefined);
    },
    () => stack.deps.dispatcher.close(),
    () => stack.emulator.close(),
    () => stack.env.teardown(),
  ];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      failures.push(`shutdown: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// 1 and 3a. Overhead against the floor; tokens, connections, history events.

/** What section 1 runs: the issue's floor, the floor of a one-activity design, and the canceller. */
const KINDS = {
  floor2: { label: 'floor: two no-op activities', workflowType: 'floorTwoActivities' },
  floor1: { label: 'floor: one no-op activity', workflowType: 'floorOneActivity' },
  canceller: { label: 'cancelOperation (CANCELLED at 1st poll)', workflowType: 'cancelOperation' },
} as const;
type Kind = keyof typeof KINDS;
/** ABCCBA: each kind runs early and late, so drift (a warming cache, a filling database) weighs on all alike. */
const PHASE_ORDER: readonly Kind[] = ['floor2', 'floor1', 'canceller', 'canceller', 'floor1', 'floor2'];

interface Phase {
  kind: Kind;
  count: number;
  durationMs: number;
  latenciesMs: number[];
  handles: WorkflowHandle[];
  cpu: CpuUse;
}

/** CPU time in ms used by each process of the stack, and by the whole machine (busy and in all, all cores). */
interface CpuUse {
  server: number;
  worker: number;
  emulator: number;
  machineBusy: number;
  machineTotal: number;
}

function cpuNow(stack: Stack): CpuUse {
  const machineCpu = machineCpuMs();
  return {
    server: stack.devServerPid === undefined ? NaN : processCpuMs(stack.devServerPid),
    worker: processCpuMs('self'),
    emulator: processCpuMs(stack.emulator.pid),
    machineBusy: machineCpu.busy,
    machineTotal: machineCpu.total,
  };
}

function cpuSince(stack: Stack, start: CpuUse): CpuUse {
  const now = cpuNow(stack);
  const keys = Object.keys(now) as (keyof CpuUse)[];
  return Object.fromEntries(keys.map((key) => [key, now[key] - start[key]])) as unknown as CpuUse;
}

let opCounter = 0;
/** Cancellers started in the whole run, for the token and connection figures. */
let cancellersStarted = 0;

function startBenchCancel(stack: Stack, input: Parameters<typeof startCancel>[1]) {
  cancellersStarted++;
  return startCancel(stack.client, input, { taskQueue: TASK_QUEUE });
}

function operationUrl(id: string): string {
  return `https://alloydb.googleapis.com/v1/${OP_PREFIX}${id}`;
}

/** Scripts `count` operations named `<prefix><n>` and returns their ids. */
async function addOperations(
  stack: Stack,
  prefix: string,
  count: number,
  script: Omit<ScriptedOperation, 'name'>,
): Promise<string[]> {
  const ids = Array.from({ length: count }, () => `${prefix}${opCounter++}`);
  await stack.emulator.add(ids.map((id) => ({ ...script, name: `${OP_PREFIX}${id}` })));
  return ids;
}

/** Starts `ids.length` workflows of `kind` (at most 32 starts in flight) and waits for every result. */
async function runPhase(stack: Stack, kind: Kind, ids: readonly string[]): Promise<Phase> {
  const cpuStart = cpuNow(stack);
  const t0 = Date.now();
  const startedAt: number[] = [];
  const handles = await pool(ids, START_CONCURRENCY, async (id, i): Promise<WorkflowHandle> => {
    startedAt[i] = Date.now();
    if (kind === 'canceller') return startBenchCancel(stack, { operation: operationUrl(id) });
    return stack.client.workflow.start(KINDS[kind].workflowType, {
      taskQueue: TASK_QUEUE,
      workflowId: `${kind}-${id}`,
      args: [],
    });
  });
  await awaitResults(handles, kind === 'canceller' ? 'CANCELLED' : undefined, kind);
  const cpu = cpuSince(stack, cpuStart);
  // Server-side close times: when the outcome was recorded, independent of when this process read it.
  const closed = await pool(handles, START_CONCURRENCY, async (handle) => (await handle.describe()).closeTime);
  const closeMs = closed.map((time) => time?.getTime() ?? NaN);
  return {
    kind,
    count: ids.length,
    durationMs: Math.max(...closeMs) - t0,
    latenciesMs: closeMs.map((close, i) => close - (startedAt[i] ?? NaN)),
    handles,
    cpu,
  };
}

/** Mean number of history events of `handles`' workflows. */
async function meanHistoryEvents(handles: readonly WorkflowHandle[]): Promise<number> {
  return mean(await pool(handles, 8, async (h) => (await h.fetchHistory()).events?.length ?? NaN));
}

/** `count` per 1,000 of `of`, with `digits` decimals. */
function perThousand(count: number, of: number, digits = 2): string {
  return ((count / of) * 1000).toFixed(digits);
}

/** Waits for every result (bounded), recording a failure for each that is missing or not `outcome`. */
async function awaitResults(handles: readonly WorkflowHandle[], outcome: string | undefined, what: string) {
  const deadline = Date.now() + PHASE_DEADLINE_MS;
  let bad = 0;
  const results = await pool(handles, RESULT_CONCURRENCY, async (handle) => {
    try {
      const result = (await withDeadline(handle.result(), deadline)) as CancelOperationResult | undefined;
      if (outcome !== undefined && result?.outcome !== outcome) bad++;
      return result;
    } catch {
      bad++;
      return undefined;
    }
  });
  if (bad > 0) failures.push(`${what}: ${bad} of ${handles.length} did not finish${outcome ? ` ${outcome}` : ''}`);
  return results;
}

/** One kind's phases of section 1, summed. */
function summarize(phases: readonly Phase[]) {
  const count = phases.reduce((sum, p) => sum + p.count, 0);
  const duration = phases.reduce((sum, p) => sum + p.durationMs, 0);
  const latencies = phases.flatMap((p) => p.latenciesMs);
  const cpu = (key: keyof CpuUse) => phases.reduce((sum, p) => sum + p.cpu[key], 0);
  return {
    count,
    rate: count / (duration / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuPerWorkflowMs: {
      server: cpu('server') / count,
      worker: cpu('worker') / count,
      emulator: cpu('emulator') / count,
      machine: cpu('machineBusy') / count,
    },
    busyShare: cpu('machineBusy') / cpu('machineTotal'),
  };
}

async function overheadAndResources(stack: Stack, sizes: Sizes): Promise<string> {
  const n = sizes.overhead;
  const half = Math.floor(n / 2);
  progress(`1. overhead: warming up, then ${n} each of two floors and cancellers, ABCCBA...`);
  const instant = { afterCancel: { to: { kind: 'cancelled' as const } } };
  const warmUp = Array.from({ length: 20 }, (_, i) => `warm-${i}`);
  await runPhase(stack, 'floor2', warmUp);
  await runPhase(stack, 'floor1', warmUp);
  await runPhase(stack, 'canceller', await addOperations(stack, 'warm-', warmUp.length, instant));

  const phases: Phase[] = [];
  const before = await stack.emulator.counters();
  let connectionsInCancellers = 0;
  for (const kind of PHASE_ORDER) {
    const count = phases.some((p) => p.kind === kind) ? n - half : half;
    if (kind === 'canceller') {
      const ids = await addOperations(stack, 's1-', count, instant);
      const connections = (await stack.emulator.counters()).connections.api.accepted;
      phases.push(await runPhase(stack, kind, ids));
      connectionsInCancellers += (await stack.emulator.counters()).connections.api.accepted - connections;
    } else {
      phases.push(
        await runPhase(
          stack,
          kind,
          Array.from({ length: count }, () => `f${opCounter++}`),
        ),
      );
    }
    progress(`   ${kind} x${count}: ${secs(phases.at(-1)?.durationMs ?? NaN)}`);
  }
  const after = await stack.emulator.counters();

  const kinds = Object.keys(KINDS) as Kind[];
  const summaries = Object.fromEntries(
    kinds.map((kind) => [kind, summarize(phases.filter((p) => p.kind === kind))]),
  ) as Record<Kind, ReturnType<typeof summarize>>;
  if (!kinds.every((kind) => Number.isFinite(summaries[kind].rate))) failures.push('overhead: no throughput figure');
  const events = async (kind: Kind) => {
    const sample = phases.filter((p) => p.kind === kind).flatMap((p) => p.handles.slice(0, 5));
    return meanHistoryEvents(sample);
  };
  const eventCounts = {} as Record<Kind, number>;
  for (const kind of kinds) eventCounts[kind] = await events(kind);

  const c = summaries.canceller;
  const ratioRow = (floorKind: Kind, label: string, goal: boolean) => {
    const f = summaries[floorKind];
    const ratio = c.rate / f.rate;
    return [
      label,
      '',
      `${ratio.toFixed(2)}${goal ? (ratio >= 0.9 ? ' (met)' : ' (NOT met)') : ''}`,
      `${(c.p50 / f.p50).toFixed(2)}x`,
      `${(c.p99 / f.p99).toFixed(2)}x`,
      `${(eventCounts.canceller / eventCounts[floorKind]).toFixed(2)}x`,
    ];
  };
  const overhead = table(
    ['workflow', 'count', 'completions/s', 'p50 start→outcome', 'p99 start→outcome', 'history events'],
    [
      ...kinds.map((kind) => [
        KINDS[kind].label,
        String(summaries[kind].count),
        summaries[kind].rate.toFixed(1),
        secs(summaries[kind].p50),
        secs(summaries[kind].p99),
        eventCounts[kind].toFixed(0),
      ]),
      ratioRow('floor2', 'ratio canceller / two-activity floor (goal ≥ 0.90)', true),
      ratioRow('floor1', 'ratio canceller / one-activity floor', false),
    ],
  );

  const ms = (x: number) => `${x.toFixed(2)} ms`;
  const signedMs = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)} ms`;
  const cpuKeys = ['server', 'worker', 'emulator', 'machine'] as const;
  const cpuTable = table(
    [
      'CPU per workflow',
      'dev server',
      'worker + client (this process)',
      'emulator process',
      'whole machine (all processes)',
      `machine busy (of ${machine().cores} cores)`,
    ],
    [
      ...kinds.map((kind) => [
        KINDS[kind].label.replace(/ \(.*\)$/, ''),
        ...cpuKeys.map((key) => ms(summaries[kind].cpuPerWorkflowMs[key])),
        `${(summaries[kind].busyShare * 100).toFixed(0)}%`,
      ]),
      ...(['floor2', 'floor1'] as const).map((floorKind) => [
        `canceller − ${floorKind === 'floor2' ? 'two' : 'one'}-activity floor`,
        ...cpuKeys.map((key) => signedMs(c.cpuPerWorkflowMs[key] - summaries[floorKind].cpuPerWorkflowMs[key])),
        '',
      ]),
    ],
  );
  const busyShares = kinds.map((kind) => summaries[kind].busyShare * 100);
  const busyRange = `${Math.min(...busyShares).toFixed(0)}–${Math.max(...busyShares).toFixed(0)}%`;
  const tokens = after.tokensIssued - before.tokensIssued;
  const resources = table(
    ['resource', 'measured', 'per 1,000 cancels', 'goal'],
    [
      [
        'token fetches during section 1 (the token is cached from the warm-up)',
        `${tokens} for ${n} cancels`,
        perThousand(tokens, n, 1),
        '≤ 1',
      ],
      [
        "Operations API connections opened in the canceller phases (beyond the warm-up's)",
        `${connectionsInCancellers} for ${n} cancels`,
        perThousand(connectionsInCancellers, n, 1),
        '≤ 32 (dispatcher limit)',
      ],
      ['history events per cancel (fetchHistory of 10)', eventCounts.canceller.toFixed(1), '', 'bounded'],
    ],
  );
  return [
    `## 1. Overhead against the Temporal floor`,
    '',
    `${n} of each on the same server and worker, back to back in ABCCBA order (${PHASE_ORDER.map((k, i) => `${k} ${i < 3 ? half : n - half}`).join(', ')}) ` +
      `after a warm-up of ${warmUp.length} each; at most ${START_CONCURRENCY} starts in flight. completions/s = ` +
      `workflows / (last close − first start), summed over a kind's phases; latency = server close time − the ` +
      `client's start call. Each canceller's operation is CANCELLED at its first poll. The canceller sends the ` +
      `cancel and its first GET in one activity (\`cancelAndGet\`: two HTTP calls to the emulator), and records ` +
      `its outcome in two search attribute and memo updates; the issue's floor calls two no-op activities. The ` +
      `one-activity floor is the floor of the canceller's own design: the gap to it is what the HTTP calls and ` +
      `the durable record cost.`,
    '',
    overhead,
    '',
    `Where the time goes: CPU time (user + system, all threads, from /proc) each process used during each kind's ` +
      `phases, per workflow. The machine is ${busyRange} busy, and each rate follows the whole machine's CPU per ` +
      `workflow (rate ≈ busy cores ÷ CPU per workflow): the dev server's share is Temporal's own cost of each ` +
      `workflow's events and visibility records.`,
    '',
    cpuTable,
    '',
    `## 3a. Resources per cancel`,
    '',
    resources,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// 2. Google API economy.

async function economy(stack: Stack, sizes: Sizes): Promise<string> {
  progress(`2. economy: simulating ${SIMULATION_DRAWS} draws; real runs of ${sizes.economyRuns} per case...`);
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
      const afterMs = Array.from({ length: sizes.economyRuns }, () =>
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

function label(ms: number): string {
  if (ms < 60_000) return `${ms / 1000} s`;
  if (ms < 3_600_000) return `${ms / 60_000} min`;
  return `${ms / 3_600_000} h`;
}

// ---------------------------------------------------------------------------------------------------------
// 3b. Memory of cancellers waiting at once.

async function waitingMemory(stack: Stack, sizes: Sizes): Promise<string> {
  const n = sizes.waiting;
  progress(`3. memory: ${n} cancellers waiting at once...`);
  collectGarbage();
  const before = process.memoryUsage();
  const ids = await addOperations(stack, 's3-', n, {
    afterCancel: { to: { kind: 'cancelled' }, afterMs: 24 * 3_600_000 },
  });
  const t0 = Date.now();
  const handles = await pool(ids, START_CONCURRENCY, (id) =>
    startBenchCancel(stack, { operation: operationUrl(id), poll: { initialInterval: '10m' } }),
  );
  const deadline = Date.now() + PHASE_DEADLINE_MS;
  let polled = 0;
  while (Date.now() < deadline) {
    polled = await stack.emulator.polled(`${OP_PREFIX}s3-`);
    if (polled >= n) break;
    await sleep(1_000);
  }
  const allPolledMs = Date.now() - t0;
  if (polled < n) failures.push(`memory: only ${polled} of ${n} cancellers polled once`);
  collectGarbage();
  const after = process.memoryUsage();
  progress(`   all ${polled} polled once after ${secs(allPolledMs)}; terminating them...`);
  await pool(handles, START_CONCURRENCY, (h) => h.terminate('benchmark: memory measured').catch(() => undefined));
  await stack.emulator.clearLog();
  const perCanceller = (x: number, y: number) => `${((x - y) / n / 1024).toFixed(1)} KiB`;
  return [
    `## 3b. Worker memory with ${n} cancellers waiting`,
    '',
    `${n} cancellers whose operations stay running, started at once on the one worker; measured with ` +
      `\`process.memoryUsage()\` (after a full GC) once every one had polled (${secs(allPolledMs)} after the first start), then ` +
      `terminated. They wait with \`poll.initialInterval: "10m"\` so that they wait rather than poll during the ` +
      `measurement (a waiting canceller holds the same state whatever its interval). This process is the worker ` +
      `and the client; the emulator runs in its own process. Worker defaults (workflow cache, slots) unchanged.`,
    '',
    table(
      ['', 'before', `with ${n} waiting`, 'per canceller'],
      [
        ['RSS', mib(before.rss), mib(after.rss), perCanceller(after.rss, before.rss)],
        ['V8 heap used', mib(before.heapUsed), mib(after.heapUsed), perCanceller(after.heapUsed, before.heapUsed)],
      ],
    ),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// 4. Scale.

async function scale(stack: Stack, sizes: Sizes): Promise<string> {
  const n = sizes.scale;
  progress(`4. scale: ${n} concurrent cancellers, each CANCELLED at its 4th poll...`);
  const ids = await addOperations(stack, 's4-', n, { afterCancel: { to: { kind: 'cancelled' }, afterPolls: 3 } });
  const before = await stack.emulator.counters();
  const cpuStart = cpuNow(stack);
  const t0 = Date.now();
  const handles = await pool(ids, START_CONCURRENCY * 2, (id) =>
    startBenchCancel(stack, { operation: operationUrl(id) }),
  );
  const startedMs = Date.now() - t0;
  progress(`   started in ${secs(startedMs)}; waiting for outcomes...`);
  const results = await awaitResults(handles, 'CANCELLED', 'scale');
  const wallMs = Date.now() - t0;
  const cpu = cpuSince(stack, cpuStart);
  const after = await stack.emulator.counters();
  const sample = handles.filter((_, i) => i % Math.ceil(n / 10) === 0);
  const eventsPerCanceller = await meanHistoryEvents(sample);
  const coreShare = (ms: number) => ((ms / cpu.machineTotal) * machine().cores).toFixed(2);
  const opened = after.connections.api.accepted - before.connections.api.accepted;
  const { api, metadata } = after.connections;
  const finished = results.filter((r) => r?.outcome === 'CANCELLED').length;
  const polls = results.map((r) => r?.polls ?? NaN).filter(Number.isFinite);
  const serverPid = stack.devServerPid;
  const waits = [0, 1, 2].map((attempt) => pollDelay(DEFAULT_POLL_SCHEDULE, attempt, 0.5));
  return [
    `## 4. Scale: ${n} concurrent cancellers on one worker`,
    '',
    `${n} cancellers started as fast as ${START_CONCURRENCY * 2} concurrent starts allow; each operation is ` +
      `CANCELLED at its 4th poll (\`afterCancel: { afterPolls: 3 }\`), so each canceller waits about ` +
      `${secs(waits.reduce((a, b) => a + b, 0))} (${waits.map((w) => secs(w)).join(' + ')}) between its first and last poll. Peak RSS is the process's VmHWM over the whole ` +
      `benchmark (/proc/<pid>/status).`,
    '',
    table(
      ['figure', 'value'],
      [
        ['finished CANCELLED', `${finished} of ${n}${finished === n ? '' : ' (FAILED)'}`],
        ['polls per canceller (mean)', mean(polls).toFixed(2)],
        ['all started after', secs(startedMs, 1)],
        ['wall time, first start → last outcome', secs(wallMs, 1)],
        ['completions/s', (n / (wallMs / 1000)).toFixed(1)],
        [
          'history events per canceller (10 sampled) / written per second',
          `${eventsPerCanceller.toFixed(1)} / ${((eventsPerCanceller * n) / (wallMs / 1000)).toFixed(0)}`,
        ],
        [
          'CPU during the section, in cores: dev server / worker + client / emulator; machine busy',
          `${coreShare(cpu.server)} / ${coreShare(cpu.worker)} / ${coreShare(cpu.emulator)}; ` +
            `${((cpu.machineBusy / cpu.machineTotal) * 100).toFixed(0)}% of ${machine().cores} cores`,
        ],
        [
          'Operations API connections opened during this section',
          `${opened} (${perThousand(opened, n)} per 1,000 cancels)`,
        ],
        [
          'Operations API connections, whole benchmark: opened / most open at once (goal ≤ 32, the dispatcher limit)',
          `${api.accepted} (${perThousand(api.accepted, cancellersStarted)} per 1,000 of ${cancellersStarted} cancels) / ${api.peakOpen}`,
        ],
        [
          'metadata server connections, whole benchmark: opened / most open at once (google-auth-library, own pool)',
          `${metadata.accepted} / ${metadata.peakOpen}`,
        ],
        [
          'token fetches, whole benchmark incl. the first (goal 1 per 1,000 cancels)',
          `${after.tokensIssued} for ${cancellersStarted} cancels (${perThousand(after.tokensIssued, cancellersStarted)} per 1,000)`,
        ],
        ['peak RSS, worker process (this process)', mib(procStatusBytes('self', 'VmHWM'))],
        [
          `peak RSS, dev server process${serverPid ? ` (pid ${serverPid})` : ' (not found)'}`,
          serverPid ? mib(procStatusBytes(serverPid, 'VmHWM')) : '-',
        ],
      ],
    ),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------

function formatReport(command: string, sections: readonly string[], totalMs: number): string {
  const m = machine();
  return [
    '# Benchmarks',
    '',
    `Produced by \`${command}\` (\`npm run build && node --expose-gc dist/bench/run.js${command.includes('--quick') ? ' --quick' : ''}\`) ` +
      `on ${new Date().toISOString().slice(0, 10)}, in ${secs(totalMs, 0)}. Everything runs on 127.0.0.1: an ` +
      `embedded Temporal dev server (in-memory SQLite), the package's Google emulator in a child process, and one ` +
      `worker with default options in the benchmark's process, which is also the client. Figures depend on the ` +
      `machine and on whatever else runs on it; rerun the command to compare.`,
    '',
    table(
      ['machine', 'value'],
      [
        ['CPU', m.cpu],
        ['cores', String(m.cores)],
        ['memory', m.memory],
        ['Node.js', process.version],
        ['Temporal TypeScript SDK', packageVersion('@temporalio/worker')],
        ['Temporal CLI (dev server)', binaryVersion(findTemporalBinary(TEMPORAL_CLI))],
      ],
    ),
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n');
}

function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('deadline')), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** A full garbage collection when node runs with `--expose-gc` (as `npm run bench` does), so heap figures compare. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // The runtime's threads must not keep a finished benchmark alive.
    setTimeout(() => process.exit(code), 5_000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
