/**
 * `npm run bench [-- --quick]`: what a canceller costs, measured on a real stack on this machine. It starts an
 * embedded Temporal dev server and the Google emulator (in a child process) on 127.0.0.1 and one worker in
 * this process, then measures:
 *
 * 1. overhead against the Temporal floor (a workflow calling two no-op activities), back to back, ABBA;
 * 2. Google API economy: GetOperation calls and detection lag of our schedule beside gax's and api-core's,
 *    simulated with the real `pollDelay` and confirmed by real runs for 1 s and 30 s cancellations;
 * 3. resources: token fetches and TCP connections per 1,000 cancels, history events, memory while waiting;
 * 4. scale: many concurrent cancellers on one worker;
 * 5. a fleet: one bulk `cancelOperations` against as many separate cancellers, and where listing does not pay;
 * 6. WaitOperation against blind polling, at 1 min (real), 10 min and 2 h;
 * 7. worker start-up, bundling the workflows at start against the bundle the build wrote.
 *
 * It prints one table per section and writes them to BENCHMARKS.md. Exit 0 when every run finished as
 * scripted, 1 otherwise. The sections are in `throughput.ts` (1), `economy.ts` (2), `resources.ts` (3) and
 * `scale.ts` (4), `fleet.ts` (5), `wait-economy.ts` (6), `startup.ts` (7); the stack they run on and the measurement helpers in `support.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { findTemporalBinary, TEMPORAL_CLI } from '../src/testing/temporal-binaries';
import { economy } from './economy';
import { fleet } from './fleet';
import { replaceSections } from './report-sections';
import { startup } from './startup';
import { waitEconomy } from './wait-economy';
import { resourcesPerCancel, waitingMemory } from './resources';
import { scale } from './scale';
import {
  binaryVersion,
  failures,
  machine,
  packageVersion,
  progress,
  ROOT,
  secs,
  startStack,
  stopStack,
  table,
} from './support';
import { throughput } from './throughput';

const USAGE = `Usage: npm run bench [-- --quick]

Starts a Temporal dev server, the Google emulator and one worker on 127.0.0.1, measures cancellers against
the Temporal floor, Google API economy, resources and scale, prints the tables and writes BENCHMARKS.md.

  --quick          smaller counts (a few minutes)
  --only <n,...>   run only these sections (1 to 7); without --quick, they replace their own sections in
                   BENCHMARKS.md (each marked with the command and the day), the others stay
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
  /** Operations in section 5's fleet. */
  fleet: number;
}

const FULL: Sizes = { overhead: 1_000, economyRuns: 20, waiting: 2_000, scale: 10_000, fleet: 1_000 };
const QUICK: Sizes = { overhead: 200, economyRuns: 10, waiting: 1_000, scale: 500, fleet: 250 };

async function main(argv: readonly string[]): Promise<number> {
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt === -1 ? undefined : new Set((argv[onlyAt + 1] ?? '').split(',').filter((x) => x !== ''));
  const unknown = argv.filter((arg, i) => !['--quick', '--help', '-h', '--only'].includes(arg) && i !== onlyAt + 1);
  if (only && (only.size === 0 || [...only].some((x) => !/^[1-7]$/.test(x)))) unknown.push('--only needs 1 to 7');
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
    const runs = (section: string): boolean => !only || only.has(section);
    // Section 3a is measured in section 1's runs, and printed right after it.
    if (runs('1')) {
      const overhead = await throughput(stack, sizes.overhead);
      sections.push(overhead.section, resourcesPerCancel(overhead.resources));
    }
    if (runs('2')) sections.push(await economy(stack, sizes.economyRuns));
    if (runs('3')) sections.push(await waitingMemory(stack, sizes.waiting));
    if (runs('4')) sections.push(await scale(stack, sizes.scale));
    if (runs('5')) sections.push(await fleet(stack, sizes.fleet));
    if (runs('6')) sections.push(await waitEconomy(stack, sizes.economyRuns));
    if (runs('7')) sections.push(await startup(stack, 3));
  } finally {
    await stopStack(stack);
  }
  const totalMs = Date.now() - started;
  const report = formatReport(command, sections, totalMs);
  if (report.includes('NaN')) failures.push('a figure is missing: the report has NaN in it');
  process.stdout.write(`${report}\n`);
  // A quick run is a look, not the record; sections run alone replace only their own.
  const path = join(ROOT, 'BENCHMARKS.md');
  if (!only) {
    writeFileSync(path, `${report}\n`);
    progress(`wrote BENCHMARKS.md (${secs(totalMs, 0)} in all)`);
  } else if (!quick && failures.length === 0) {
    const note = `Measured alone by \`npm run bench -- --only ${[...only].join(',')}\` on ${new Date().toISOString().slice(0, 10)}.`;
    writeFileSync(path, replaceSections(readFileSync(path, 'utf8'), sections, note));
    progress(`replaced ${sections.length} section(s) of BENCHMARKS.md`);
  }
  if (failures.length > 0) {
    process.stderr.write(`FAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
    return 1;
  }
  return 0;
}

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
