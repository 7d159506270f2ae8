/**
 * What the benchmark's sections share: the stack they run on (a Temporal dev server, the Google emulator in its
 * own process, one worker) and how they drive it, bounded concurrency, percentiles, markdown tables, CPU and
 * memory readings from /proc, the machine and the versions it ran on.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { Compute, GoogleAuth } from 'google-auth-library';
import { createActivities, type ActivityDeps } from '../activities';
import { startCancel } from '../src/temporal/client';
import { CLOUD_PLATFORM_SCOPE, googleAuthorizer } from '../src/google/google-auth';
import { createDispatcher } from '../src/google/http-dispatcher';
import { parseAllowedHosts } from '../src/domain/host-allowlist';
import type { CancelOperationResult } from '../src/domain/outcome';
import type { ScriptedOperation } from '../src/testing/emulator';
import { startDevServer } from '../src/testing/temporal-servers';
import { createFloorActivities } from './floor-activities';
import type { EmulatorCommand, EmulatorCounters, LoggedCall } from './emulator-process';

/** The repository root (this file runs from `dist/bench/`). */
export const ROOT = join(__dirname, '..', '..');

/** The worker's task queue. */
export const TASK_QUEUE = 'bench';
const NAMESPACE = 'default';
/** The name of every scripted operation starts with this. */
export const OP_PREFIX = 'projects/bench/locations/l/operations/';
/** Workflow starts (and describes) in flight at once. */
export const START_CONCURRENCY = 32;
const RESULT_CONCURRENCY = 256;
/** Bound on every wait for workflows to finish, so a stuck run ends as a failure rather than hanging. */
export const PHASE_DEADLINE_MS = 30 * 60_000;

/** Everything that went wrong; any entry makes the exit code 1. */
export const failures: string[] = [];

/** A line of progress, on stderr so that stdout holds the report alone. */
export function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** What the benchmark runs on: a dev server, the emulator in its own process, and one worker in this process. */
export interface Stack {
  env: TestWorkflowEnvironment;
  client: Client;
  emulator: EmulatorProcess;
  deps: ActivityDeps;
  worker: Worker;
  running: Promise<void>;
  devServerPid: number | undefined;
}

/** Starts the dev server, the emulator process and the worker, which runs until {@link stopStack}. */
export async function startStack(): Promise<Stack> {
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

/** Stops the worker, the dispatcher, the emulator and the dev server, each even if another fails. */
export async function stopStack(stack: Stack): Promise<void> {
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

let idCounter = 0;
/** Cancellers started in the whole run, for the token and connection figures. */
let cancellerCount = 0;

/** `count` ids `<prefix><n>`, unique in the run. */
export function newIds(prefix: string, count: number): string[] {
  return Array.from({ length: count }, () => `${prefix}${idCounter++}`);
}

/** Scripts `count` operations named `<prefix><n>` and returns their ids. */
export async function addOperations(
  stack: Stack,
  prefix: string,
  count: number,
  script: Omit<ScriptedOperation, 'name'>,
): Promise<string[]> {
  const ids = newIds(prefix, count);
  await stack.emulator.add(ids.map((id) => ({ ...script, name: `${OP_PREFIX}${id}` })));
  return ids;
}

/** The URL of the scripted operation `id`. */
export function operationUrl(id: string): string {
  return `https://alloydb.googleapis.com/v1/${OP_PREFIX}${id}`;
}

/** Starts a canceller on the bench task queue, counting it. */
export function startBenchCancel(stack: Stack, input: Parameters<typeof startCancel>[1]) {
  cancellerCount++;
  return startCancel(stack.client, input, { taskQueue: TASK_QUEUE });
}

/** Cancellers started so far in the whole run. */
export function cancellersStarted(): number {
  return cancellerCount;
}

/** Waits for every result (bounded), recording a failure for each that is missing or not `outcome`. */
export async function awaitResults(handles: readonly WorkflowHandle[], outcome: string | undefined, what: string) {
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

function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('deadline')), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Mean number of history events of `handles`' workflows. */
export async function meanHistoryEvents(handles: readonly WorkflowHandle[]): Promise<number> {
  return mean(await pool(handles, 8, async (h) => (await h.fetchHistory()).events?.length ?? NaN));
}

/** CPU time in ms used by each process of the stack, and by the whole machine (busy and in all, all cores). */
export interface CpuUse {
  server: number;
  worker: number;
  emulator: number;
  machineBusy: number;
  machineTotal: number;
}

/** The CPU time used so far, to subtract with {@link cpuSince}. */
export function cpuNow(stack: Stack): CpuUse {
  const machineCpu = machineCpuMs();
  return {
    server: stack.devServerPid === undefined ? NaN : processCpuMs(stack.devServerPid),
    worker: processCpuMs('self'),
    emulator: processCpuMs(stack.emulator.pid),
    machineBusy: machineCpu.busy,
    machineTotal: machineCpu.total,
  };
}

/** The CPU time used since `start`. */
export function cpuSince(stack: Stack, start: CpuUse): CpuUse {
  const now = cpuNow(stack);
  const keys = Object.keys(now) as (keyof CpuUse)[];
  return Object.fromEntries(keys.map((key) => [key, now[key] - start[key]])) as unknown as CpuUse;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>) {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** The `p`-th percentile (0..100) of `values`, nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Mean of `values`; NaN when empty. */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** A markdown table, columns padded so it reads the same in a terminal. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Milliseconds as seconds with `digits` decimals. */
export function secs(ms: number, digits = 2): string {
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(digits)} s` : '-';
}

/** Bytes as MiB. */
export function mib(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(0)} MiB` : '-';
}

/** `count` per 1,000 of `of`, with `digits` decimals. */
export function perThousand(count: number, of: number, digits = 2): string {
  return ((count / of) * 1000).toFixed(digits);
}

/** A field of `/proc/<pid>/status` in bytes (`VmHWM`: peak resident set; `VmRSS`: current), or NaN. */
export function procStatusBytes(pid: number | 'self', field: 'VmHWM' | 'VmRSS'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Clock ticks per second of `/proc` CPU times (`getconf CLK_TCK`; 100 on Linux everywhere that matters). */
const CLOCK_TICKS_PER_S = 100;

/** CPU time (user + system, all threads) a process has used so far, in ms, from `/proc/<pid>/stat`; NaN if gone. */
export function processCpuMs(pid: number | 'self'): number {
  try {
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return NaN;
  }
}

/** The whole machine's CPU time so far, in ms summed over cores, busy and in all (`/proc/stat`). */
export function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: ((total - idle) * 1000) / CLOCK_TICKS_PER_S, total: (total * 1000) / CLOCK_TICKS_PER_S };
}

/** The pid of the `temporal server start-dev` process listening on `port`, from the process list. */
export function findDevServerPid(port: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const portIndex = args.indexOf('--port');
    if (args.includes('start-dev') && portIndex !== -1 && args[portIndex + 1] === port) return Number(entry);
  }
  return undefined;
}

/** The machine, for the report. */
export function machine(): { cpu: string; cores: number; memory: string } {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
  };
}

/** A package's installed version. */
export function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

/** The first line of `<binary> --version`. */
export function binaryVersion(path: string | undefined): string {
  if (!path) return 'unknown (downloaded by the SDK)';
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).split('\n')[0]?.trim() ?? '';
  } catch {
    return 'unknown';
  }
}

/** The Google emulator in its own process (see `emulator-process.ts`). */
export class EmulatorProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly child: ChildProcess,
    /** `127.0.0.1:PORT`. */
    readonly hostPort: string,
  ) {
    child.on('message', (message: { id?: number; result?: unknown; error?: string }) => {
      const pending = message.id === undefined ? undefined : this.waiting.get(message.id);
      if (!pending || message.id === undefined) return;
      this.waiting.delete(message.id);
      if (message.error !== undefined) pending.reject(new Error(message.error));
      else pending.resolve(message.result);
    });
    child.on('exit', () => {
      for (const pending of this.waiting.values()) pending.reject(new Error('the emulator process exited'));
      this.waiting.clear();
    });
  }

  /** Forks the emulator process and waits until it listens. */
  static start(): Promise<EmulatorProcess> {
    const child = fork(join(__dirname, 'emulator-process.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the emulator process did not start within 30 s')), 30_000);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the emulator process exited with ${code}`)));
      child.once('message', (message: { ready?: string }) => {
        clearTimeout(timer);
        if (message.ready) resolve(new EmulatorProcess(child, message.ready));
        else reject(new Error('unexpected first message from the emulator process'));
      });
    });
  }

  /** The emulator process's pid, for its CPU time. */
  get pid(): number {
    return this.child.pid ?? NaN;
  }

  /** Serves `operations` (sent in batches). */
  async add(operations: readonly ScriptedOperation[]): Promise<void> {
    for (let i = 0; i < operations.length; i += 2_000) {
      await this.call({ cmd: 'add', operations: operations.slice(i, i + 2_000) });
    }
  }

  counters(): Promise<EmulatorCounters> {
    return this.call({ cmd: 'counters' }) as Promise<EmulatorCounters>;
  }

  /** Operations API calls (cancel, get, list, wait) whose operation or parent name starts with `prefix`. */
  calls(prefix: string): Promise<LoggedCall[]> {
    return this.call({ cmd: 'calls', prefix }) as Promise<LoggedCall[]>;
  }

  /** How many operations whose name starts with `prefix` have been polled at least once. */
  polled(prefix: string): Promise<number> {
    return this.call({ cmd: 'polled', prefix }) as Promise<number>;
  }

  async clearLog(): Promise<void> {
    await this.call({ cmd: 'clearLog' });
  }

  /** Stops the emulator and its process. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || !this.child.connected) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.call({ cmd: 'close' }).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private call(command: DistributiveOmit<EmulatorCommand, 'id'>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ ...command, id }, (err) => {
        if (err) {
          this.waiting.delete(id);
          reject(err);
        }
      });
    });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
