/**
 * Section 1 of the benchmark: cancellers against the Temporal floor (workflows that call two, or one, no-op
 * activities), back to back in ABCCBA order: completions/s, latency, history events and CPU per workflow. The
 * same runs give section 3a its token, connection and history figures.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { CancelResources } from './resources';
import {
  addOperations,
  awaitResults,
  cpuNow,
  cpuSince,
  type CpuUse,
  failures,
  machine,
  meanHistoryEvents,
  newIds,
  operationUrl,
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

/** Section 1's report, and what its canceller phases used, for section 3a. */
export interface Throughput {
  section: string;
  resources: CancelResources;
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

/** Section 1: `n` each of the two floors and of cancellers, after a warm-up. */
export async function throughput(stack: Stack, n: number): Promise<Throughput> {
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
      phases.push(await runPhase(stack, kind, newIds('f', count)));
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
  const section = [
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
  ].join('\n');
  const resources = {
    cancels: n,
    tokens: after.tokensIssued - before.tokensIssued,
    connections: connectionsInCancellers,
    historyEvents: eventCounts.canceller,
  };
  return { section, resources };
}
