/**
 * Section 3 of the benchmark: what a cancel uses besides time. 3a: token fetches, Operations API connections
 * and history events per cancel, measured during section 1's canceller phases; 3b: the worker's memory with
 * many cancellers waiting at once.
 */
import {
  addOperations,
  failures,
  mib,
  OP_PREFIX,
  operationUrl,
  perThousand,
  PHASE_DEADLINE_MS,
  pool,
  progress,
  secs,
  type Stack,
  START_CONCURRENCY,
  startBenchCancel,
  table,
} from './support';

/** What section 1's canceller phases used. */
export interface CancelResources {
  /** Cancels run in those phases. */
  cancels: number;
  /** Access tokens fetched during section 1. */
  tokens: number;
  /** Operations API connections opened during the canceller phases. */
  connections: number;
  /** Mean history events of a sample of those cancellers. */
  historyEvents: number;
}

/** Section 3a: the resources per cancel of section 1's canceller phases. */
export function resourcesPerCancel({ cancels, tokens, connections, historyEvents }: CancelResources): string {
  const resources = table(
    ['resource', 'measured', 'per 1,000 cancels', 'goal'],
    [
      [
        'token fetches during section 1 (the token is cached from the warm-up)',
        `${tokens} for ${cancels} cancels`,
        perThousand(tokens, cancels, 1),
        '≤ 1',
      ],
      [
        "Operations API connections opened in the canceller phases (beyond the warm-up's)",
        `${connections} for ${cancels} cancels`,
        perThousand(connections, cancels, 1),
        '≤ 32 (dispatcher limit)',
      ],
      ['history events per cancel (fetchHistory of 10)', historyEvents.toFixed(1), '', 'bounded'],
    ],
  );
  return [`## 3a. Resources per cancel`, '', resources].join('\n');
}

/** Section 3b: the worker's memory with `n` cancellers waiting at once. */
export async function waitingMemory(stack: Stack, n: number): Promise<string> {
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

/** A full garbage collection when node runs with `--expose-gc` (as `npm run bench` does), so heap figures compare. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
