/**
 * Section 4 of the benchmark: many concurrent cancellers on one worker, with the run's totals of connections,
 * token fetches and peak memory.
 */
import { DEFAULT_POLL_SCHEDULE, pollDelay } from '../src/domain/backoff';
import {
  addOperations,
  awaitResults,
  cancellersStarted,
  cpuNow,
  cpuSince,
  machine,
  mean,
  meanHistoryEvents,
  mib,
  operationUrl,
  perThousand,
  pool,
  procStatusBytes,
  progress,
  secs,
  type Stack,
  START_CONCURRENCY,
  startBenchCancel,
  table,
} from './support';

/** Section 4: `n` cancellers at once, each CANCELLED at its 4th poll. */
export async function scale(stack: Stack, n: number): Promise<string> {
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
  const cancels = cancellersStarted();
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
          `${api.accepted} (${perThousand(api.accepted, cancels)} per 1,000 of ${cancels} cancels) / ${api.peakOpen}`,
        ],
        [
          'metadata server connections, whole benchmark: opened / most open at once (google-auth-library, own pool)',
          `${metadata.accepted} / ${metadata.peakOpen}`,
        ],
        [
          'token fetches, whole benchmark incl. the first (goal 1 per 1,000 cancels)',
          `${after.tokensIssued} for ${cancels} cancels (${perThousand(after.tokensIssued, cancels)} per 1,000)`,
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
