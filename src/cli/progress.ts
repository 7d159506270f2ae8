/**
 * Following a canceller from the command line: the progress line of `--wait`, and the one-line summaries of
 * its result or failure.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure } from '@temporalio/common';
import { statusQuery, type CancellerStatus } from '../domain/canceller-api';
import { EXIT_CODES, exitCodeForOutcome, ExitError, firstLine } from '../domain/exit-codes';
import type { AwaitOperationResult, CancelOperationResult } from '../domain/outcome';
import { PROGRAM, type CliIo } from './command';

/** A handle on either canceller workflow. */
export type CancellerHandle = WorkflowHandle<
  (...args: unknown[]) => Promise<CancelOperationResult | AwaitOperationResult>
>;

/**
 * Prints the workflow ID; with `wait`, shows progress until the canceller ends and resolves to its outcome's exit
 * code (130 when interrupted: the canceller keeps running).
 */
export async function reportStarted(handle: CancellerHandle, wait: boolean, io: CliIo): Promise<number> {
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

/** One line: the outcome, the operation, polls, the cancel, and any error. */
export function summarizeResult(result: CancelOperationResult | AwaitOperationResult): string {
  const error = result.error ? ` (${result.error.status}: ${result.error.message})` : '';
  const timedOut = 'timedOut' in result && result.timedOut ? ', timeout passed' : '';
  return `${result.outcome}: ${result.operation} after ${result.polls} poll(s), cancel ${result.cancelAccepted ? 'accepted' : 'not accepted'}${timedOut}${error}`;
}

/** Why a canceller ended without an outcome, in one line. */
export async function describeFailure(err: unknown): Promise<string> {
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

/** `12s`, `3m05s`, `2h10m`, `3d04h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** `promise`, or a rejection after `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
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
