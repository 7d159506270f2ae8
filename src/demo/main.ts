/**
 * `npm run demo`: the whole package on one machine, offline, in seconds. It starts a Temporal dev server with
 * its Web UI, the Google emulator serving {@link DEMO_OPERATIONS}, and a worker that reaches the emulator
 * through google-auth-library's real metadata-server flow; runs one canceller per demo operation; prints the
 * outcomes; and exits 0 only if every outcome is the expected one.
 *
 * `npm run demo -- --keep` leaves everything running until Ctrl-C, for the Web UI and the CLI.
 */
import { createServer } from 'node:net';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { Compute, GoogleAuth } from 'google-auth-library';
import type { ActivityDeps } from '../../activities';
import { startAwait, startCancel } from '../temporal/client';
import { CLOUD_PLATFORM_SCOPE, googleAuthorizer } from '../google/google-auth';
import { createDispatcher } from '../google/http-dispatcher';
import { parseAllowedHosts } from '../domain/host-allowlist';
import type { AwaitOperationResult } from '../domain/outcome';
import { DEFAULT_TASK_QUEUE } from '../domain/task-queue';
import {
  addDemoOperations,
  DEMO_OPERATIONS,
  DEMO_SPARE_OPERATIONS,
  type DemoOperation,
} from '../testing/demo-operations';
import { GoogleEmulator } from '../testing/emulator';
import { startDevServer } from '../testing/temporal-servers';
import { createCancellerWorker, WORKFLOWS_PATH } from '../temporal/worker';
import { cancelWorkflowId } from '../domain/workflow-id';

/** How long the demo waits for all its workflows; every demo outcome arrives within seconds. */
const RESULTS_DEADLINE_MS = 60_000;
const NAMESPACE = 'default';
const HOST = '127.0.0.1';
/** The usual ports, taken when free so the addresses match what people expect; otherwise any free port. */
const PREFERRED_PORTS = { temporal: 7233, ui: 8233, emulator: 8085 } as const;

const USAGE = `Usage: npm run demo [-- --keep]

Runs a Temporal dev server (with its Web UI), the Google emulator and a worker on ${HOST}, starts one
canceller per demo operation, prints the outcomes, and exits 0 when every outcome is the expected one.

  --keep   leave the server, the Web UI, the emulator and the worker running until Ctrl-C
  --help   show this text
`;

/** One row of the table. */
interface Row {
  op: DemoOperation;
  result?: AwaitOperationResult;
  /** Why there is no result: a workflow failure, or the deadline. */
  error?: string;
}

interface Stack {
  env: TestWorkflowEnvironment;
  emulator: GoogleEmulator;
  deps: ActivityDeps;
  worker: Worker;
  running: Promise<void>;
  uiUrl: string;
  temporalAddress: string;
}

async function main(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((arg) => arg !== '--keep' && arg !== '--help' && arg !== '-h');
  if (argv.includes('--help') || argv.includes('-h') || unknown.length > 0) {
    if (unknown.length > 0) process.stderr.write(`unknown argument: ${unknown.join(' ')}\n\n`);
    process.stderr.write(USAGE);
    return unknown.length > 0 ? 2 : 0;
  }
  const keep = argv.includes('--keep');
  const started = Date.now();

  // Before anything creates the runtime: the worker's INFO lines would bury the table. No shutdown signals:
  // this process stops the worker itself, in order, on Ctrl-C.
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });

  const stack = await startStack();
  try {
    const stackMs = Date.now() - started;
    const workflowsStarted = Date.now();
    const rows = await runAll(stack.env.client);
    const workflowsMs = Date.now() - workflowsStarted;

    const mismatches = rows.filter((row) => mismatch(row) !== undefined);
    print(formatTable(rows));
    print('');
    print(formatTotals(rows, { stackMs, workflowsMs, totalMs: Date.now() - started }));
    print('');
    print(formatWebUi(stack.uiUrl, keep));
    if (mismatches.length > 0) {
      print('');
      print(`FAILED: ${mismatches.length} outcome(s) differ from the expected ones:`);
      for (const row of mismatches) print(`  - ${row.op.label}: ${mismatch(row)}`);
    }
    if (keep) {
      print('');
      print(formatKeep(stack));
      await untilInterrupted();
      print('\nstopping...');
    }
    return mismatches.length === 0 ? 0 : 1;
  } finally {
    await stopStack(stack);
  }
}

async function startStack(): Promise<Stack> {
  const [port, uiPort, emulatorPort] = await Promise.all([
    portOr(PREFERRED_PORTS.temporal),
    portOr(PREFERRED_PORTS.ui),
    portOr(PREFERRED_PORTS.emulator),
  ]);
  progress(`starting a Temporal dev server, the Google emulator and a worker on ${HOST}...`);
  const [env, emulator, workflowBundle] = await Promise.allSettled([
    startDevServer({ port, uiPort, log: progress }),
    GoogleEmulator.start({ port: emulatorPort }),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') }),
  ]);
  if (env.status === 'rejected' || emulator.status === 'rejected' || workflowBundle.status === 'rejected') {
    if (env.status === 'fulfilled') await env.value.teardown();
    if (emulator.status === 'fulfilled') await emulator.value.close();
    throw [env, emulator, workflowBundle].find((r) => r.status === 'rejected')?.reason;
  }
  addDemoOperations(emulator.value);

  // The metadata-server flow every worker on GKE, Cloud Run and GCE takes, aimed at the emulator. Compute is
  // named explicitly so a developer's own gcloud credentials are never picked up (nor sent to the emulator).
  process.env['GCE_METADATA_HOST'] = emulator.value.hostPort;
  delete process.env['GOOGLE_APPLICATION_CREDENTIALS'];
  const deps: ActivityDeps = {
    authorizer: googleAuthorizer(new GoogleAuth({ authClient: new Compute({ scopes: [CLOUD_PLATFORM_SCOPE] }) })),
    dispatcher: createDispatcher(),
    allowlist: parseAllowedHosts(''),
    emulatorHost: emulator.value.hostPort,
  };
  const stack: Omit<Stack, 'worker' | 'running'> = {
    env: env.value,
    emulator: emulator.value,
    deps,
    uiUrl: `http://${HOST}:${uiPort}`,
    temporalAddress: env.value.connection.options.address,
  };
  let worker: Worker;
  try {
    worker = await createCancellerWorker({
      connection: env.value.nativeConnection,
      namespace: NAMESPACE,
      taskQueue: DEFAULT_TASK_QUEUE,
      deps,
      workflowBundle: workflowBundle.value,
    });
  } catch (err) {
    await stopStack(stack);
    throw err;
  }
  const running = worker.run();
  // Awaited in stopStack; a worker that dies early shows up there, and as workflows without results.
  running.catch(() => undefined);
  return { ...stack, worker, running };
}

/** Stops whatever of the stack is up, in order, even when a step fails; rethrows the first failure. */
async function stopStack(stack: Omit<Stack, 'worker' | 'running'> & Partial<Stack>): Promise<void> {
  const steps: (() => Promise<void>)[] = [
    async () => {
      if (stack.worker?.getState() === 'RUNNING') stack.worker.shutdown();
      await stack.running;
    },
    () => stack.deps.dispatcher.close(),
    () => stack.emulator.close(),
    () => stack.env.teardown(),
  ];
  let first: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}

/** Starts every demo workflow at once and waits for all of them, up to {@link RESULTS_DEADLINE_MS}. */
async function runAll(client: Client): Promise<Row[]> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), RESULTS_DEADLINE_MS);
  });
  try {
    return await Promise.all(
      DEMO_OPERATIONS.map(async (op): Promise<Row> => {
        try {
          const outcome = await Promise.race([runOne(client, op), deadline]);
          return outcome === 'deadline'
            ? { op, error: `no result within ${RESULTS_DEADLINE_MS / 1000} s` }
            : { op, result: outcome };
        } catch (err) {
          return { op, error: describeFailure(err) };
        }
      }),
    );
  } finally {
    clearTimeout(timer);
  }
}

async function runOne(client: Client, op: DemoOperation): Promise<AwaitOperationResult> {
  if (op.workflow === 'cancelOperation') {
    const handle = await startCancel(client, { operation: op.url, ...op.input });
    return { ...(await handle.result()), timedOut: false };
  }
  const handle = await startAwait(client, { operation: op.url, ...op.input });
  return handle.result();
}

function describeFailure(err: unknown): string {
  const cause = err instanceof WorkflowFailedError ? err.cause : err;
  if (cause instanceof ApplicationFailure) return `ERROR (${cause.type ?? 'unknown'}: ${cause.message})`;
  return `ERROR (${err instanceof Error ? err.message : String(err)})`;
}

/** Why a row is not what its demo operation expects, or `undefined` if it is. */
function mismatch({ op, result, error }: Row): string | undefined {
  const expected = `${op.expected.outcome}${op.expected.timedOut ? ' (timed out)' : ''}`;
  if (!result) return `expected ${expected}, got ${error ?? 'no result'}`;
  if (result.outcome !== op.expected.outcome) return `expected ${expected}, got ${shownOutcome(result)}`;
  if (op.expected.timedOut !== undefined && result.timedOut !== op.expected.timedOut) {
    return `expected ${expected}, got ${shownOutcome(result)}`;
  }
  return undefined;
}

function shownOutcome(result: AwaitOperationResult): string {
  return `${result.outcome}${result.timedOut ? ' (timed out)' : ''}`;
}

function formatTable(rows: readonly Row[]): string {
  const header = ['Operation', 'Service', 'Workflow', 'Outcome', 'Polls', 'Time', 'Check'];
  const cells = rows.map((row) => [
    row.op.label,
    row.op.service,
    row.op.workflow,
    row.result ? shownOutcome(row.result) : (row.error ?? ''),
    row.result ? String(row.result.polls) : '-',
    row.result ? seconds(Date.parse(row.result.finishedAt) - Date.parse(row.result.startedAt)) : '-',
    mismatch(row) === undefined ? 'ok' : 'MISMATCH',
  ]);
  const numeric = new Set([4, 5]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((line) => (line[i] ?? '').length)));
  const line = (values: readonly string[]): string =>
    values
      .map((value, i) => (numeric.has(i) ? value.padStart(widths[i] ?? 0) : value.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}

function formatTotals(rows: readonly Row[], times: { stackMs: number; workflowsMs: number; totalMs: number }): string {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const key = row.result?.outcome ?? 'ERROR';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const polls = rows.reduce((sum, row) => sum + (row.result?.polls ?? 0), 0);
  const bad = rows.filter((row) => mismatch(row) !== undefined).length;
  return [
    `Totals: ${rows.length} workflows, ${rows.length - bad} as expected, ${bad} mismatched; ${polls} GetOperation polls.`,
    `        ${[...counts].map(([outcome, n]) => `${outcome} ${n}`).join(', ')}`,
    `Time:   ${seconds(times.totalMs)} in all (stack up in ${seconds(times.stackMs)}, workflows done in ${seconds(times.workflowsMs)}).`,
  ].join('\n');
}

function formatWebUi(uiUrl: string, keep: boolean): string {
  const list = `${uiUrl}/namespaces/${NAMESPACE}/workflows`;
  return [
    `Web UI: ${list}${keep ? '' : '   (up while the demo runs; `npm run demo -- --keep` leaves it up)'}`,
    `  the demo's workflows: ${list}?query=${encodeURIComponent(`TaskQueue="${DEFAULT_TASK_QUEUE}"`)}`,
    `  confirmed cancels:    ${list}?query=${encodeURIComponent('LroOutcome="CANCELLED"')}`,
  ].join('\n');
}

function formatKeep(stack: Stack): string {
  const spare = DEMO_SPARE_OPERATIONS[0];
  const input = JSON.stringify({ operation: spare?.url ?? '' });
  const workflowId = cancelWorkflowId(spare?.url ?? '');
  const startForm =
    `${stack.uiUrl}/namespaces/${NAMESPACE}/workflows/start-workflow?` +
    new URLSearchParams({ workflowId, taskQueue: DEFAULT_TASK_QUEUE, workflowType: 'cancelOperation' }).toString();
  const env = [
    ['TEMPORAL_ADDRESS', stack.temporalAddress],
    ['TEMPORAL_NAMESPACE', NAMESPACE],
    ['TEMPORAL_TASK_QUEUE', DEFAULT_TASK_QUEUE],
    ['GCE_METADATA_HOST', stack.emulator.hostPort],
    ['LRO_EMULATOR_HOST', stack.emulator.hostPort],
  ];
  return [
    'Left running until Ctrl-C:',
    `  Temporal server  ${stack.temporalAddress}  (namespace ${NAMESPACE})`,
    `  Web UI           ${stack.uiUrl}`,
    `  Google emulator  ${stack.emulator.url}  (Operations API and metadata server)`,
    `  Worker           this process, task queue ${DEFAULT_TASK_QUEUE}`,
    '',
    'In another shell:',
    ...env.map(([name, value]) => `  export ${name}=${value}`),
    '',
    'Operations still running, to cancel by hand (each confirms on the next poll):',
    ...DEMO_SPARE_OPERATIONS.map((op) => `  ${op.url}`),
    '',
    'Start a canceller from the Web UI (Start Workflow, pre-filled by this link):',
    `  ${startForm}`,
    `  Workflow ID    ${workflowId}`,
    `  Task Queue     ${DEFAULT_TASK_QUEUE}`,
    `  Workflow Type  cancelOperation`,
    `  Input (JSON)   ${input}`,
    '  (awaitOperation takes e.g. {"operation": "...", "timeout": "30s"})',
  ].join('\n');
}

function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/** `preferred` if nothing listens on it, else a free port the system picks. */
function portOr(preferred: number): Promise<number> {
  const tryListen = (port: number): Promise<number | undefined> =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, HOST, () => {
        const address = server.address();
        const bound = typeof address === 'object' && address ? address.port : undefined;
        server.close(() => resolve(bound));
      });
    });
  return tryListen(preferred).then(async (port) => port ?? (await tryListen(0)) ?? 0);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    // Whatever is still up (a half-started server, the runtime's threads) must not keep the process alive.
    process.exit(1);
  },
);
