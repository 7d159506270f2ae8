import { freePort } from '../../src/testing/free-port';
export { seededRandom } from '../../src/testing/seeded-random';
/**
 * Fault-injection support: the real worker binary and the Temporal CLI dev server as child processes, a
 * scripted mix of operations with known outcomes, bounded waits for results, and the run's tally.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection, WorkflowFailedError, type Client } from '@temporalio/client';
import { startCancel } from '../../src/temporal/client';
import type { PollOptions } from '../../src/domain/canceller-input';
import type { Outcome } from '../../src/domain/outcome';
import { LRO_SEARCH_ATTRIBUTES } from '../../src/domain/search-attributes';
import type { FaultName, GoogleEmulator, ScriptedOperation } from '../../src/testing/emulator';
import { findTemporalBinary, TEMPORAL_CLI } from '../../src/testing/temporal-binaries';

export const ROOT = join(__dirname, '..', '..');
const WORKER = join(ROOT, 'dist', 'src', 'temporal', 'worker-main.js');

/** Short polls, so that a canceller needs seconds, not minutes. */
export const FAST_POLL: PollOptions = { initialInterval: '200ms', maximumInterval: '1s' };

/** A unique suffix for IDs and task queues. */
export function unique(prefix = 'op'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `done` every 100 ms until it holds; throws `what` after `timeoutMs`. */
export async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** A child process we started, with its output and its exit. */
export interface Child {
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  hasExited(): boolean;
  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs`). */
  stop(signal: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/** Follows a child process we spawned: its output's tail, its exit, a bounded stop. */
export function track(child: ChildProcess): Child {
  let output = '';
  let exited = false;
  const append = (chunk: Buffer): void => {
    // Bounded: only the tail matters for diagnostics and readiness lines.
    output = (output + chunk.toString()).slice(-64 * 1024);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    }),
  );
  return {
    process: child,
    exited: exit,
    output: () => output,
    hasExited: () => exited,
    async stop(signal, graceMs = 15_000) {
      if (exited) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** The worker binary (`node dist/src/temporal/worker-main.js`) as operators run it, on `taskQueue`. */
export async function startWorkerProcess(options: {
  temporalAddress: string;
  taskQueue: string;
  emulator: GoogleEmulator;
  readyTimeoutMs?: number;
  /** More variables for the worker, e.g. `LRO_SKIP_SEARCH_ATTRIBUTE_REGISTRATION`. */
  env?: Record<string, string>;
}): Promise<Child> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(TEMPORAL_|LRO_|GCE_METADATA_HOST$|GOOGLE_APPLICATION_CREDENTIALS$)/.test(key),
    ),
  );
  const child = track(
    spawn(process.execPath, [WORKER], {
      cwd: ROOT,
      env: {
        ...inherited,
        TEMPORAL_ADDRESS: options.temporalAddress,
        TEMPORAL_NAMESPACE: 'default',
        TEMPORAL_TASK_QUEUE: options.taskQueue,
        GCE_METADATA_HOST: options.emulator.hostPort,
        LRO_EMULATOR_HOST: options.emulator.hostPort,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  try {
    await until(
      'the worker to poll',
      () => {
        if (child.hasExited()) throw new Error(`the worker exited during start-up:\n${child.output()}`);
        return child.output().includes('polling task queue');
      },
      options.readyTimeoutMs ?? 60_000,
    );
  } catch (err) {
    await child.stop('SIGKILL');
    throw err;
  }
  return child;
}

/** `temporal server start-dev` spawned by hand, persisting to `dbFilename`, so it can be stopped and restarted. */
/**
 * Starts the dev server on a probed free port, probing again (up to 3 times) when another process's
 * outbound connection took the port before the server could bind it.
 */
export async function startDevServerProcessOnFreePort(
  dbFilename: string,
): Promise<{ port: number; server: Awaited<ReturnType<typeof startDevServerProcess>> }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { port, server: await startDevServerProcess({ dbFilename, port }) };
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test(String(err))) throw err;
    }
  }
}

export async function startDevServerProcess(options: { dbFilename: string; port: number }): Promise<Child> {
  const path = findTemporalBinary(TEMPORAL_CLI);
  if (!path) throw new Error('no temporal CLI: run `npm run temporal:install`');
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    options.dbFilename,
    '--port',
    String(options.port),
    '--ip',
    '127.0.0.1',
    '--headless',
    '--log-level',
    'error',
    ...LRO_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
  ];
  const child = track(spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  const address = `127.0.0.1:${options.port}`;
  try {
    await until(
      `the dev server at ${address}`,
      async () => {
        if (child.hasExited()) throw new Error(`the dev server exited during start-up:\n${child.output()}`);
        return serverAnswers(address);
      },
      60_000,
    );
  } catch (err) {
    await child.stop('SIGKILL');
    throw err;
  }
  return child;
}

/** One scripted operation and the outcome its canceller must report. */
export interface PlannedOperation {
  name: string;
  url: string;
  /** The outcome; `ERROR` for a canceller that fails (after recording ERROR). */
  expected: Outcome | 'ERROR';
  workflowId?: string;
}

/**
 * Adds `count` AlloyDB operations with a spread of behaviours: most cancel after 0 to `maxPolls` polls, the
 * rest fail or finish anyway, do not support cancel, or refuse it.
 */
export function planOperations(
  emulator: GoogleEmulator,
  count: number,
  random: () => number,
  maxPolls = 8,
): PlannedOperation[] {
  const planned: PlannedOperation[] = [];
  for (let i = 0; i < count; i++) {
    const name = `projects/p/locations/us-central1/operations/${unique(`f${i}`)}`;
    const polls = Math.floor(random() * (maxPolls + 1));
    const kind = i % 10;
    let script: Omit<ScriptedOperation, 'name'>;
    let expected: Outcome;
    if (kind <= 5) {
      script = { afterCancel: { to: { kind: 'cancelled' }, afterPolls: polls } };
      expected = 'CANCELLED';
    } else if (kind === 6) {
      script = { afterCancel: { to: { kind: 'failed', error: { code: 10, message: 'aborted' } }, afterPolls: polls } };
      expected = 'FAILED';
    } else if (kind === 7) {
      script = { afterCancel: { to: { kind: 'done-without-result' }, afterPolls: polls } };
      expected = 'COMPLETED';
    } else if (kind === 8) {
      script = { onCancel: 'unimplemented' };
      expected = 'UNIMPLEMENTED';
    } else {
      script = { onCancel: 'failed-precondition' };
      expected = 'NOT_CANCELLABLE';
    }
    emulator.addOperation({ name, apiVersion: 'v1', service: 'alloydb.googleapis.com', ...script });
    planned.push({ name, url: `https://alloydb.googleapis.com/v1/${name}`, expected });
  }
  return planned;
}

/** Starts one canceller per planned operation (the workflow ID is derived from the operation). */
export async function startCancellers(client: Client, taskQueue: string, planned: PlannedOperation[]): Promise<void> {
  // Batches keep 200 concurrent starts from crowding the dev server's frontend.
  for (let i = 0; i < planned.length; i += 25) {
    await Promise.all(
      planned.slice(i, i + 25).map(async (op) => {
        const handle = await startCancel(client, { operation: op.url, poll: FAST_POLL }, { taskQueue });
        op.workflowId = handle.workflowId;
      }),
    );
  }
}

/** What became of each canceller within the deadline. */
export interface Results {
  outcomes: Map<string, Outcome | 'ERROR'>;
  /** Finished with the scripted outcome. */
  finished: number;
  wrong: string[];
  stuck: string[];
}

/**
 * Waits up to `timeoutMs` for every canceller's result, following continue-as-new and riding out server
 * restarts (a failed wait is simply retried until the deadline).
 */
export async function awaitResults(client: Client, planned: PlannedOperation[], timeoutMs: number): Promise<Results> {
  const deadline = Date.now() + timeoutMs;
  const outcomes = new Map<string, Outcome | 'ERROR'>();
  await Promise.all(
    planned.map(async (op) => {
      const handle = client.workflow.getHandle(op.workflowId as string);
      while (Date.now() < deadline) {
        const left = deadline - Date.now();
        let timer: NodeJS.Timeout | undefined;
        try {
          const result = await Promise.race([
            handle.result(),
            new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left))),
          ]);
          if (result !== 'timeout') outcomes.set(op.name, (result as { outcome: Outcome }).outcome);
          return;
        } catch (err) {
          if (err instanceof WorkflowFailedError) {
            outcomes.set(op.name, 'ERROR');
            return;
          }
          await sleep(500);
        } finally {
          clearTimeout(timer);
        }
      }
    }),
  );
  const wrong = planned
    .filter((op) => outcomes.has(op.name) && outcomes.get(op.name) !== op.expected)
    .map((op) => `${op.name}: expected ${op.expected}, got ${outcomes.get(op.name)}`);
  const stuck = planned.filter((op) => !outcomes.has(op.name)).map((op) => op.name);
  return { outcomes, finished: planned.length - wrong.length - stuck.length, wrong, stuck };
}

/**
 * How many operations scripted to end done (cancelled, failed, completed) are still running in the emulator:
 * above 0 at a kill means the kill landed mid-flight.
 */
export function stillRunning(emulator: GoogleEmulator, planned: PlannedOperation[]): number {
  return planned.filter(
    (op) =>
      (op.expected === 'CANCELLED' || op.expected === 'FAILED' || op.expected === 'COMPLETED') &&
      emulator.operation(op.name)?.['done'] !== true,
  ).length;
}

/** Faults the emulator injected, by name, from its request log. */
export function faultsFromLog(emulator: GoogleEmulator): Partial<Record<FaultName | 'token-503' | '401', number>> {
  const tally: Partial<Record<FaultName | 'token-503' | '401', number>> = {};
  const add = (key: FaultName | 'token-503' | '401'): void => {
    tally[key] = (tally[key] ?? 0) + 1;
  };
  for (const request of emulator.requests) {
    if (request.fault) add(request.fault);
    else if (request.route === 'token' && request.status === 503) add('token-503');
    else if ((request.route === 'get' || request.route === 'cancel') && request.status === 401) add('401');
  }
  return tally;
}

/** One scenario's line in the summary. */
export interface ScenarioFigures {
  scenario: string;
  passed: boolean;
  seconds: number;
  faults: number;
  faultsByKind: Record<string, number>;
  kills: number;
  restarts: number;
  started: number;
  finished: number;
  lost: number;
  notes: string;
}

/** Collects every scenario's figures; {@link Tally.write} prints the table and writes the JSON. */
export class Tally {
  readonly scenarios: ScenarioFigures[] = [];

  add(figures: ScenarioFigures): void {
    this.scenarios.push(figures);
    process.stdout.write(
      `[faults] ${figures.scenario}: ${figures.passed ? 'ok' : 'FAILED'} in ${figures.seconds.toFixed(1)} s; ` +
        `faults ${figures.faults} ${JSON.stringify(figures.faultsByKind)}, kills ${figures.kills}, ` +
        `restarts ${figures.restarts}; started ${figures.started}, finished ${figures.finished}, lost ${figures.lost}` +
        (figures.notes ? `; ${figures.notes}` : '') +
        '\n',
    );
  }

  write(path = join(ROOT, 'test-artifacts', 'faults-summary.json')): void {
    const total = this.scenarios.reduce(
      (sum, s) => ({
        faults: sum.faults + s.faults,
        kills: sum.kills + s.kills,
        restarts: sum.restarts + s.restarts,
        started: sum.started + s.started,
        finished: sum.finished + s.finished,
        lost: sum.lost + s.lost,
      }),
      { faults: 0, kills: 0, restarts: 0, started: 0, finished: 0, lost: 0 },
    );
    const rows = [
      ['scenario', 'ok', 'seconds', 'faults', 'kills', 'restarts', 'started', 'finished', 'lost'],
      ...this.scenarios.map((s) => [
        s.scenario,
        s.passed ? 'yes' : 'NO',
        s.seconds.toFixed(1),
        String(s.faults),
        String(s.kills),
        String(s.restarts),
        String(s.started),
        String(s.finished),
        String(s.lost),
      ]),
      [
        `total (${this.scenarios.length} run)`,
        this.scenarios.every((s) => s.passed) ? 'yes' : 'NO',
        this.scenarios.reduce((sum, s) => sum + s.seconds, 0).toFixed(1),
        String(total.faults),
        String(total.kills),
        String(total.restarts),
        String(total.started),
        String(total.finished),
        String(total.lost),
      ],
    ];
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    const table = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')).join('\n');
    process.stdout.write(`\n[faults] summary\n${table}\n\n`);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(
      path,
      `${JSON.stringify({ scenariosRun: this.scenarios.length, ...total, scenarios: this.scenarios }, null, 2)}\n`,
    );
  }
}

/** Sums a fault tally. */
export function totalFaults(byKind: Record<string, number>): number {
  return Object.values(byKind).reduce((sum, n) => sum + n, 0);
}

/** Whether a Temporal server answers at `address` (GetSystemInfo within a second's connect). */
export async function serverAnswers(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1_000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}
