/**
 * `temporal-gcp-lro`, the command line: start or join a canceller (`cancel`, `await`), watch it (`status`,
 * `list`), and run the pieces (`worker`, `emulator`). Exit codes are {@link EXIT_CODES}.
 *
 * It connects with Temporal's standard environment configuration, as the worker does. Errors are one line
 * on stderr, never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { Duration } from '@temporalio/common';
import { statusQuery, type CancellerStatus } from './canceller-api';
import {
  validateAwaitInput,
  validateCancelInput,
  type AwaitOperationInput,
  type CancelOperationInput,
} from './canceller-input';
import { startAwait, startCancel } from './client';
import { EXIT_CODES, exitCodeForOutcome, firstLine, ExitError } from './exit-codes';
import { redactCredentials } from './google-auth';
import { InvalidArgumentError } from './invalid-argument';
import { parseOperationRef, type OperationRefInput } from './operation-ref';
import { OUTCOMES, type AwaitOperationResult, type CancelOperationResult } from './outcome';
import { LRO_OPERATION, LRO_OUTCOME } from './search-attributes';
import { DEFAULT_TASK_QUEUE } from './task-queue';
import { connectToTemporal, TASK_QUEUE_ENV, temporalTargetFromEnv } from './temporal-connect';
import { awaitWorkflowId, cancelWorkflowId } from './workflow-id';

export { EXIT_CODES } from './exit-codes';

/** The program's name, as users type it. */
export const PROGRAM = 'temporal-gcp-lro';

/** What `list --outcome` accepts: the outcomes, and the other values of `LroOutcome`. */
export const LISTABLE_OUTCOMES = [...OUTCOMES, 'PENDING', 'ERROR', 'ABANDONED'] as const;

/** Where the command line writes, and what it reads; tests and embedders may replace them. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

type OptionSpec = { type: 'string' | 'boolean'; short?: string };
type Values = Record<string, string | boolean | undefined>;

interface Command {
  usage: string;
  summary: string;
  /** Option lines for `--help`, already aligned. */
  help: string;
  options: Record<string, OptionSpec>;
  /** How many positionals it takes. */
  positionals: 0 | 1;
  run(values: Values, positionals: string[], io: CliIo): Promise<number>;
}

const REF_HELP = `  --service <host>        the API host, with a resource name instead of a URL (e.g. alloydb.googleapis.com)
  --api-version <v>       the API version, with a resource name (e.g. v1beta)`;
const START_HELP = `  --task-queue <queue>    where the worker polls (default: $${TASK_QUEUE_ENV}, else ${DEFAULT_TASK_QUEUE})
  --not-found-grace <d>   how long NOT_FOUND is taken as "not visible yet" (default 30s)
  --poll-interval <d>     first GetOperation interval; it backs off from there (default 1s)
  --wait                  stay, show progress, and exit with the outcome's code`;
const REF_OPTIONS: Record<string, OptionSpec> = {
  service: { type: 'string' },
  'api-version': { type: 'string' },
};
const START_OPTIONS: Record<string, OptionSpec> = {
  ...REF_OPTIONS,
  'task-queue': { type: 'string' },
  'not-found-grace': { type: 'string' },
  'poll-interval': { type: 'string' },
  wait: { type: 'boolean' },
};

/** Input fields named by their flags in error messages. */
const FLAG_FOR_FIELD: Readonly<Record<string, string>> = {
  timeout: '--timeout',
  cancelTimeout: '--cancel-timeout',
  notFoundGracePeriod: '--not-found-grace',
  'poll.initialInterval': '--poll-interval',
  'poll.maximumInterval': '--poll-interval',
  service: '--service',
  apiVersion: '--api-version',
};

const COMMANDS: Readonly<Record<string, Command>> = {
  cancel: {
    usage: 'cancel <operation> [options]',
    summary: 'cancel an operation and confirm it (starts the canceller, or joins the one running)',
    help: `  --timeout <d>           how long to wait for the cancel to be confirmed (default 1h)
${REF_HELP}
${START_HELP}`,
    options: { ...START_OPTIONS, timeout: { type: 'string' } },
    positionals: 1,
    async run(values, [operation], io) {
      const input: CancelOperationInput = {
        ...refInput(operation, values),
        ...duration('timeout', values['timeout']),
        ...startFields(values),
      };
      validateCancelInput(input);
      return withClient(io, async (client) => {
        const handle = await startCancel(client, input, { taskQueue: taskQueueOf(values, io) });
        return reportStarted(handle, values['wait'] === true, io);
      });
    },
  },
  await: {
    usage: 'await <operation> --timeout <d> [options]',
    summary: 'wait for an operation; cancel it (and confirm) if the timeout passes first',
    help: `  --timeout <d>           how long to wait for the operation to finish (required, e.g. 2h)
  --no-cancel             when the timeout passes, end TIMED_OUT without cancelling
  --cancel-timeout <d>    how long to wait for the cancel to be confirmed (default 1h)
${REF_HELP}
${START_HELP}`,
    options: {
      ...START_OPTIONS,
      timeout: { type: 'string' },
      'no-cancel': { type: 'boolean' },
      'cancel-timeout': { type: 'string' },
    },
    positionals: 1,
    async run(values, [operation], io) {
      const input = {
        ...refInput(operation, values),
        ...duration('timeout', values['timeout']),
        ...duration('cancelTimeout', values['cancel-timeout']),
        ...(values['no-cancel'] === true ? { cancelOnTimeout: false } : {}),
        ...startFields(values),
      } as AwaitOperationInput;
      validateAwaitInput(input);
      return withClient(io, async (client) => {
        const handle = await startAwait(client, input, { taskQueue: taskQueueOf(values, io) });
        return reportStarted(handle, values['wait'] === true, io);
      });
    },
  },
  status: {
    usage: 'status <operation> [options]',
    summary:
      "show a canceller's progress, or its result once finished (the cancel canceller first, then the await one)",
    help: `${REF_HELP}
  --json                  print JSON`,
    options: { ...REF_OPTIONS, json: { type: 'boolean' } },
    positionals: 1,
    async run(values, [operation], io) {
      const ref = parseOperationRef(refInput(operation, values));
      const ids = [cancelWorkflowId(ref.url), awaitWorkflowId(ref.url)];
      return withClient(io, async (client) => {
        for (const workflowId of ids) {
          const report = await describeCanceller(client, workflowId);
          if (!report) continue;
          io.stdout.write(values['json'] === true ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
          return EXIT_CODES.OK;
        }
        throw new ExitError(`no canceller found for ${ref.url} (workflow IDs ${ids.join(', ')})`, EXIT_CODES.ERROR);
      });
    },
  },
  list: {
    usage: 'list [options]',
    summary: 'list cancellers, newest first, from a visibility query on LroOutcome',
    help: `  --outcome <outcome>     only this LroOutcome: ${LISTABLE_OUTCOMES.join(', ')}
  --limit <n>             at most this many rows (default 20)
  --json                  print JSON lines`,
    options: { outcome: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
    positionals: 0,
    async run(values, _positionals, io) {
      const outcome = values['outcome'];
      if (typeof outcome === 'string' && !(LISTABLE_OUTCOMES as readonly string[]).includes(outcome)) {
        throw new InvalidArgumentError('--outcome', `must be one of ${LISTABLE_OUTCOMES.join(', ')}`, outcome);
      }
      const limit = parseCount('--limit', values['limit'], 20);
      const query =
        typeof outcome === 'string'
          ? `LroOutcome = "${outcome}"`
          : `WorkflowType IN ("cancelOperation", "awaitOperation")`;
      return withClient(io, async (client) => {
        const rows: string[][] = [];
        for await (const wf of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
          const row = {
            outcome: String(wf.typedSearchAttributes.get(LRO_OUTCOME) ?? '-'),
            status: wf.status.name,
            workflow: wf.type,
            started: wf.startTime.toISOString(),
            operation: String(wf.typedSearchAttributes.get(LRO_OPERATION) ?? wf.workflowId),
          };
          if (values['json'] === true) io.stdout.write(`${JSON.stringify({ workflowId: wf.workflowId, ...row })}\n`);
          rows.push(Object.values(row));
          if (rows.length >= limit) break;
        }
        if (values['json'] !== true) {
          io.stdout.write(table(['OUTCOME', 'STATUS', 'WORKFLOW', 'STARTED', 'OPERATION'], rows));
          if (rows.length === 0) io.stdout.write(`(no cancellers match ${query})\n`);
        }
        return EXIT_CODES.OK;
      });
    },
  },
  emulator: {
    usage: 'emulator [options]',
    summary: 'run the local Google emulator (Operations API and metadata server) until Ctrl-C',
    help: `  --port <port>           TCP port (default 8085; 0 picks a free one)
  --host <ip>             address to listen on (default 127.0.0.1; 0.0.0.0 in a container)
  --demo-operations       serve the demo's operations (one per outcome)`,
    options: { port: { type: 'string' }, host: { type: 'string' }, 'demo-operations': { type: 'boolean' } },
    positionals: 0,
    async run(values, _positionals, io) {
      const port = parseCount('--port', values['port'], 8085, 0, 65535);
      const host = typeof values['host'] === 'string' ? values['host'] : '127.0.0.1';
      const [{ GoogleEmulator }, { addDemoOperations, DEMO_OPERATIONS, DEMO_SPARE_OPERATIONS }] = await Promise.all([
        import('./testing/emulator'),
        import('./testing/demo-operations'),
      ]);
      const emulator = await GoogleEmulator.start({ port, host }).catch((err: unknown) => {
        throw new ExitError(`cannot listen on ${host}:${port} (${firstLine(err)})`, EXIT_CODES.ERROR);
      });
      const out = (line: string): boolean => io.stdout.write(`${line}\n`);
      out(`Google emulator at ${emulator.url}`);
      out(`export GCE_METADATA_HOST=${emulator.hostPort}`);
      out(`export LRO_EMULATOR_HOST=${emulator.hostPort}`);
      if (values['demo-operations'] === true) {
        addDemoOperations(emulator);
        out(`demo operations (${DEMO_OPERATIONS.length + DEMO_SPARE_OPERATIONS.length}):`);
        for (const op of DEMO_OPERATIONS) out(`  ${op.url}  (${op.label})`);
        for (const op of DEMO_SPARE_OPERATIONS) out(`  ${op.url}  (running, cancellable)`);
      }
      await untilSignal();
      await emulator.close();
      return EXIT_CODES.OK;
    },
  },
  worker: {
    usage: 'worker [options]',
    summary: 'run the canceller worker until SIGINT/SIGTERM (as npm start)',
    help: `  --task-queue <queue>    task queue to poll (default: $${TASK_QUEUE_ENV}, else ${DEFAULT_TASK_QUEUE})

  Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE,
  ${TASK_QUEUE_ENV}, LRO_ALLOWED_HOSTS, LRO_EMULATOR_HOST, LRO_METRICS_BIND,
  LRO_SKIP_SEARCH_ATTRIBUTE_REGISTRATION, and Google's Application Default Credentials.`,
    options: { 'task-queue': { type: 'string' } },
    positionals: 0,
    async run(values, _positionals, io) {
      const taskQueue = values['task-queue'];
      const { workerMain } = await import('./worker-main');
      return workerMain({
        env: io.env,
        log: (line) => io.stdout.write(`${line}\n`),
        ...(typeof taskQueue === 'string' ? { taskQueue } : {}),
      });
    },
  },
};

/**
 * Runs the command line with `argv` (without `node` and the script) and resolves to the exit code. Never
 * throws: every error becomes one line on stderr.
 */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(globalHelp());
    return EXIT_CODES.USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = rest[0] !== undefined && Object.hasOwn(COMMANDS, rest[0]) ? rest[0] : undefined;
    const topicCommand = topic === undefined ? undefined : COMMANDS[topic];
    io.stdout.write(topic && topicCommand ? commandHelp(topic, topicCommand) : globalHelp());
    return EXIT_CODES.OK;
  }
  if (name === '--version') {
    io.stdout.write(`${packageVersion()}\n`);
    return EXIT_CODES.OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  const prefix = command ? `${PROGRAM} ${name}` : PROGRAM;
  try {
    if (!command) {
      throw new ExitError(
        `unknown command ${JSON.stringify(name.slice(0, 40))} (commands: ${Object.keys(COMMANDS).join(', ')}; see ${PROGRAM} --help)`,
        EXIT_CODES.USAGE,
      );
    }
    const parsed = parseArgs({
      args: [...rest],
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    const values = parsed.values as Values;
    if (values['help'] === true) {
      io.stdout.write(commandHelp(name, command));
      return EXIT_CODES.OK;
    }
    if (parsed.positionals.length !== command.positionals) {
      throw new InvalidArgumentError(
        command.positionals === 1 ? 'operation' : 'arguments',
        command.positionals === 1 ? 'give exactly one operation URL or resource name' : 'this command takes none',
        parsed.positionals.length > 0 ? parsed.positionals.join(' ') : undefined,
      );
    }
    return await command.run(values, parsed.positionals, io);
  } catch (err) {
    const { message, code } = describeError(err);
    io.stderr.write(`${prefix}: ${message}\n`);
    return code;
  }
}

/** Entry point of the `temporal-gcp-lro` binary. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  process.exit(await runCli(argv));
}

function describeError(err: unknown): { message: string; code: number } {
  if (err instanceof ExitError) return { message: err.message, code: err.exitCode };
  if (err instanceof InvalidArgumentError) {
    const flag = FLAG_FOR_FIELD[err.field];
    return { message: flag ? `${flag}${err.message.slice(err.field.length)}` : err.message, code: EXIT_CODES.USAGE };
  }
  if (String((err as { code?: unknown })?.code ?? '').startsWith('ERR_PARSE_ARGS')) {
    return { message: firstLine(err), code: EXIT_CODES.USAGE };
  }
  return { message: redactCredentials(firstLine(err)), code: EXIT_CODES.ERROR };
}

function refInput(operation: string | undefined, values: Values): OperationRefInput {
  return {
    operation: operation ?? '',
    ...optional('service', values['service']),
    ...optional('apiVersion', values['api-version']),
  };
}

function startFields(values: Values): Pick<CancelOperationInput, 'notFoundGracePeriod' | 'poll'> {
  const interval = values['poll-interval'];
  return {
    ...duration('notFoundGracePeriod', values['not-found-grace']),
    ...(typeof interval === 'string' ? { poll: { initialInterval: interval as Duration } } : {}),
  };
}

function optional<K extends string>(key: K, value: string | boolean | undefined): Partial<Record<K, string>> {
  return typeof value === 'string' ? ({ [key]: value } as Record<K, string>) : {};
}

/** Durations are checked by the input validators, which name the field. */
function duration<K extends string>(key: K, value: string | boolean | undefined): Partial<Record<K, Duration>> {
  return optional(key, value) as Partial<Record<K, Duration>>;
}

function taskQueueOf(values: Values, io: CliIo): string {
  const flag = values['task-queue'];
  return typeof flag === 'string' ? flag : io.env[TASK_QUEUE_ENV]?.trim() || DEFAULT_TASK_QUEUE;
}

function parseCount(
  flag: string,
  value: string | boolean | undefined,
  fallback: number,
  min = 1,
  max = 10_000,
): number {
  if (typeof value !== 'string') return fallback;
  const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max))
    throw new InvalidArgumentError(flag, `must be a whole number from ${min} to ${max}`, value);
  return n;
}

async function withClient(io: CliIo, use: (client: Client) => Promise<number>): Promise<number> {
  const target = temporalTargetFromEnv(io.env);
  const connection = await connectToTemporal(target);
  const { Client } = await import('@temporalio/client');
  try {
    return await use(new Client({ connection, namespace: target.namespace }));
  } finally {
    await connection.close().catch(() => undefined);
  }
}

type CancellerHandle = WorkflowHandle<(...args: unknown[]) => Promise<CancelOperationResult | AwaitOperationResult>>;

async function reportStarted(handle: CancellerHandle, wait: boolean, io: CliIo): Promise<number> {
  io.stdout.write(`${handle.workflowId}\n`);
  if (!wait) return EXIT_CODES.OK;
  const progress = new ProgressLine(io.stdout);
  const interrupted = new AbortController();
  const onInterrupt = (): void => interrupted.abort();
  process.once('SIGINT', onInterrupt);
  const result = handle.result().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  let settled = false;
  void result.then(() => (settled = true));
  const interruption = aborted(interrupted.signal);
  try {
    while (!settled) {
      const status = await withTimeout(handle.query(statusQuery), 5_000).catch(() => undefined);
      if (status && !settled) progress.show(status);
      await Promise.race([result, sleep(1_000), interruption]);
      if (interrupted.signal.aborted) {
        progress.end();
        io.stderr.write(`${PROGRAM}: stopped waiting; the canceller keeps running (${handle.workflowId})\n`);
        return 130;
      }
    }
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  progress.end();
  const settledResult = await result;
  if (settledResult.ok) {
    io.stdout.write(`${summarizeResult(settledResult.value)}\n`);
    return exitCodeForOutcome(settledResult.value.outcome);
  }
  throw new ExitError(
    `the canceller did not finish with an outcome: ${await describeFailure(settledResult.error)}`,
    EXIT_CODES.ERROR,
  );
}

/** One line of progress: redrawn in place on a terminal, a new line per change otherwise. */
class ProgressLine {
  private lastKey = '';
  private drawn = false;

  constructor(private readonly out: CliIo['stdout']) {}

  show(status: CancellerStatus): void {
    const line = formatProgress(status, Date.now());
    if (this.out.isTTY) {
      const width = Math.max(20, (this.out.columns || 120) - 1);
      this.out.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
      this.drawn = true;
      return;
    }
    const key = `${status.phase}|${status.polls}|${status.cancelSent}|${status.cancelAccepted}|${status.cancelRequested}`;
    if (key !== this.lastKey) this.out.write(`${line}\n`);
    this.lastKey = key;
  }

  end(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}

/** `cancelling | polls 3 | elapsed 12s | cancel accepted | cancel requested: yes | next poll in 4s` */
export function formatProgress(status: CancellerStatus, now: number): string {
  const parts = [
    status.phase,
    `polls ${status.polls}`,
    `elapsed ${formatDuration(now - Date.parse(status.startedAt))}`,
    status.cancelAccepted ? 'cancel accepted' : status.cancelSent ? 'cancel sent' : 'cancel not sent',
    `cancel requested: ${status.cancelRequested === undefined ? 'not reported' : status.cancelRequested ? 'yes' : 'no'}`,
  ];
  if (status.nextPollAt) parts.push(`next poll in ${formatDuration(Date.parse(status.nextPollAt) - now)}`);
  if (status.phase === 'waiting') parts.push(`timeout in ${formatDuration(Date.parse(status.deadline) - now)}`);
  return parts.join(' | ');
}

function summarizeResult(result: CancelOperationResult | AwaitOperationResult): string {
  const error = result.error ? ` (${result.error.status}: ${result.error.message})` : '';
  const timedOut = 'timedOut' in result && result.timedOut ? ', timeout passed' : '';
  return `${result.outcome}: ${result.operation} after ${result.polls} poll(s), cancel ${result.cancelAccepted ? 'accepted' : 'not accepted'}${timedOut}${error}`;
}

async function describeFailure(err: unknown): Promise<string> {
  const { WorkflowFailedError } = await import('@temporalio/client');
  if (err instanceof WorkflowFailedError) {
    const cause = err.cause;
    if (cause instanceof CancelledFailure) return 'it was cancelled (ABANDONED)';
    if (cause instanceof TerminatedFailure) return 'it was terminated';
    if (cause instanceof ApplicationFailure) return `ERROR ${cause.type ?? 'UNKNOWN'}: ${firstLine(cause)}`;
    return `ERROR: ${firstLine(cause ?? err)}`;
  }
  return firstLine(err);
}

interface CancellerReport {
  workflowId: string;
  workflowType: string;
  status: string;
  outcome: string;
  startedAt: string;
  closedAt?: string;
  /** The result, once finished with an outcome. */
  result?: CancelOperationResult | AwaitOperationResult;
  /** Live progress, while running. */
  progress?: CancellerStatus;
  /** Why it ended without an outcome. */
  failure?: string;
}

async function describeCanceller(client: Client, workflowId: string): Promise<CancellerReport | undefined> {
  const handle = client.workflow.getHandle(workflowId) as CancellerHandle;
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  const report: CancellerReport = {
    workflowId,
    workflowType: description.type,
    status: description.status.name,
    outcome: String(description.typedSearchAttributes.get(LRO_OUTCOME) ?? 'PENDING'),
    startedAt: description.startTime.toISOString(),
    ...(description.closeTime ? { closedAt: description.closeTime.toISOString() } : {}),
  };
  if (description.status.name === 'RUNNING') {
    const progress = await withTimeout(handle.query(statusQuery), 10_000).catch(() => undefined);
    return progress ? { ...report, progress, outcome: progress.outcome } : report;
  }
  if (description.status.name === 'CONTINUED_AS_NEW') return report;
  try {
    const result = await handle.result();
    return { ...report, result, outcome: result.outcome };
  } catch (err) {
    return { ...report, failure: await describeFailure(err) };
  }
}

function formatReport(report: CancellerReport): string {
  const rows: [string, string][] = [
    ['workflow', report.workflowId],
    ['type', report.workflowType],
    ['status', report.status],
    ['outcome', report.outcome],
  ];
  const { result, progress } = report;
  if (result) {
    rows.push(
      ['operation', result.operation],
      ['polls', String(result.polls)],
      ['cancel', result.cancelAccepted ? 'accepted' : 'not accepted'],
    );
    if ('timedOut' in result) rows.push(['timed out', String(result.timedOut)]);
    if (result.error) rows.push(['error', `${result.error.status} (${result.error.code}): ${result.error.message}`]);
    if (result.responseType) rows.push(['response', result.responseType]);
    if (result.metadata?.cancelRequested !== undefined)
      rows.push(['cancel requested', String(result.metadata.cancelRequested)]);
    rows.push(['started', result.startedAt], ['finished', result.finishedAt]);
  } else if (progress) {
    rows.push(
      ['operation', progress.operation],
      ['progress', formatProgress(progress, Date.now())],
      ['deadline', progress.deadline],
    );
    if (progress.lastOperation) rows.push(['last state', progress.lastOperation.state]);
    rows.push(['started', progress.startedAt]);
  } else {
    rows.push(['started', report.startedAt]);
    if (report.closedAt) rows.push(['closed', report.closedAt]);
  }
  if (report.failure) rows.push(['failure', report.failure]);
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `${key.padEnd(width)}  ${value}\n`).join('');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `${cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}\n`;
  return [header, ...rows].map(line).join('');
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

function globalHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return `Usage: ${PROGRAM} <command> [options]     (${PROGRAM} <command> --help for its options)

Cancel Google Cloud long-running operations durably on Temporal.

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`)
  .join('\n')}

<operation> is a full URL (https://alloydb.googleapis.com/v1beta/projects/p/locations/l/operations/op-1) or a
resource name with --service and --api-version. Durations: 30s, 10m, 2h, 1 day.

Temporal connection: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE
(Temporal's standard environment configuration).

${exitCodeHelp()}`;
}

function commandHelp(name: string, command: Command): string {
  const exits = name === 'cancel' || name === 'await' ? `\n${exitCodeHelp()}` : '';
  return `Usage: ${PROGRAM} ${command.usage}

${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.

Options:
${command.help}
  -h, --help              show this help
${exits}`;
}

function exitCodeHelp(): string {
  const c = EXIT_CODES;
  return `Exit codes: ${c.CANCELLED} done (with --wait: CANCELLED); with --wait, ${c.COMPLETED} COMPLETED, ${c.FAILED} FAILED,
${c.UNIMPLEMENTED} UNIMPLEMENTED, ${c.NOT_CANCELLABLE} NOT_CANCELLABLE, ${c.NOT_FOUND} NOT_FOUND, ${c.TIMED_OUT} TIMED_OUT; ${c.ERROR} the canceller failed (ERROR)
or another error; ${c.USAGE} bad input; ${c.UNREACHABLE} Temporal unreachable.
`;
}

function packageVersion(): string {
  // src/cli.ts under ts-jest, dist/src/cli.js when built.
  for (const path of [join(__dirname, '..', 'package.json'), join(__dirname, '..', '..', 'package.json')]) {
    try {
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'temporal-gcp-lro' && manifest.version) return manifest.version;
    } catch {
      // not this one
    }
  }
  return 'unknown';
}

function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

if (require.main === module) void main();
