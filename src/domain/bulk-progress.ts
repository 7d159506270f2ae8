/**
 * Where each operation of a bulk batch stands, and how answers move it: the same rules as a single canceller's
 * (an accepted cancel proves nothing; only a done operation ends it; FAILED_PRECONDITION is NOT_CANCELLABLE only
 * when nothing shows a cancel under way; NOT_FOUND is "not visible yet" for a grace period), applied to many
 * operations at once.
 *
 * Pure: safe to import from workflow code.
 */
import type { Observation, SendResult } from './bulk-calls';
import type { Outcome, ResultError } from './outcome';
import { RpcCode, isRpcCodeName } from './rpc-code';

/** How one operation of a bulk cancel ended: an {@link Outcome}, or `ERROR` (refused, or a call that cannot succeed). */
export type BulkOutcome = Outcome | 'ERROR';

/** All bulk outcomes, in the order results and tables show them. */
export const BULK_OUTCOMES: readonly BulkOutcome[] = [
  'CANCELLED',
  'COMPLETED',
  'FAILED',
  'UNIMPLEMENTED',
  'NOT_CANCELLABLE',
  'NOT_FOUND',
  'TIMED_OUT',
  'ERROR',
];

/**
 * One operation's state, compact (it travels through continue-as-new): `send` (its cancel is still to be sent or
 * sent again), `wait` (cancel answered; waiting to see it done), `done` (with an outcome).
 */
export interface OpState {
  s: 'send' | 'wait' | 'done';
  /** The cancel was accepted. */
  a?: true;
  /** The cancel answered FAILED_PRECONDITION: confirmed by the operation's state or its metadata. */
  fp?: true;
  /** When it was first NOT_FOUND (workflow time, ms), while that lasts. */
  nf?: number;
  /** Its deadline (workflow time, ms), from its first cancel attempt. */
  d?: number;
  /** Not before (workflow time, ms): a cancel sent again, or a read, waits for this (the delay Google asked for). */
  nb?: number;
  /** When it was last read, or its cancel last answered (workflow time, ms): it times out only once read at its deadline. */
  rt?: number;
  /** The outcome, once done. */
  o?: BulkOutcome;
  /** The operation's error, the service's answer, or the last error a call answered. */
  e?: ResultError;
}

/** The timing rules a batch applies to each operation. */
export interface OpRules {
  timeoutMs: number;
  notFoundGraceMs: number;
  /** How long to wait before a cancel is sent again (NOT_FOUND, a transient failure) when Google asked for nothing. */
  resendDelayMs: number;
}

/** The bounds on a delay Google asks for (RetryInfo, Retry-After), as the single canceller holds them. */
const MIN_HINT_MS = 1_000;
const MAX_HINT_MS = 5 * 60_000;

/** Applies a cancel's answer (or failure) at `now`. */
export function afterSend(op: OpState, result: SendResult, now: number, rules: OpRules): void {
  op.d ??= now + rules.timeoutMs;
  op.rt = now;
  if ('failed' in result) {
    const { code, message, retryable, retryDelayMs } = result.failed;
    const error = resultError(code, message);
    if (!retryable) return finish(op, 'ERROR', error);
    op.e = error;
    op.nb = now + hinted(retryDelayMs, rules.resendDelayMs);
    return;
  }
  const { answer } = result;
  switch (answer.result) {
    case 'accepted':
      op.s = 'wait';
      op.a = true;
      delete op.nf;
      return;
    case 'UNIMPLEMENTED':
      return finish(op, 'UNIMPLEMENTED', resultError(answer.result, answer.message));
    case 'FAILED_PRECONDITION':
      op.s = 'wait';
      op.fp = true;
      op.e = resultError(answer.result, answer.message);
      return;
    case 'NOT_FOUND':
      op.nf ??= now;
      op.e = resultError(answer.result, answer.message);
      op.nb = now + rules.resendDelayMs;
      if (now - op.nf >= rules.notFoundGraceMs) finish(op, 'NOT_FOUND', op.e);
      return;
  }
}

/** Applies what confirmation saw of a waiting operation at `now`. */
export function afterObservation(op: OpState, seen: Observation, now: number, rules: OpRules): void {
  if ('failed' in seen) {
    const error = resultError(seen.failed.code, seen.failed.message);
    if (!seen.failed.retryable) return finish(op, 'ERROR', error);
    op.e = error;
    if (seen.failed.retryDelayMs !== undefined) op.nb = now + hinted(seen.failed.retryDelayMs, 0);
    return;
  }
  op.rt = now;
  if ('notFound' in seen) {
    op.nf ??= now;
    op.e = resultError('NOT_FOUND', seen.notFound);
    if (now - op.nf >= rules.notFoundGraceMs) finish(op, 'NOT_FOUND', op.e);
    return;
  }
  delete op.nf;
  switch (seen.state) {
    case 'running':
      // FAILED_PRECONDITION while running, with nothing showing a cancel under way: it cannot be cancelled.
      if (op.fp && seen.cancelRequested !== true) finish(op, 'NOT_CANCELLABLE', op.e);
      return;
    case 'cancelled':
      return finish(op, 'CANCELLED', seen.error);
    case 'failed':
      return finish(op, 'FAILED', seen.error);
    default:
      return finish(op, 'COMPLETED');
  }
}

/** Marks an operation read at `now`: a confirmation round looked at it and saw it running. */
export function markRead(op: OpState, now: number): void {
  if (op.s !== 'done') op.rt = now;
}

/** Whether an open operation's deadline has passed without a read since: it must be read once more. */
export function overdue(op: OpState, now: number): boolean {
  return op.s !== 'done' && op.d !== undefined && now >= op.d && (op.rt ?? -Infinity) < op.d;
}

/**
 * Ends every operation still open whose deadline has passed at `now` as `TIMED_OUT`, with its last error: only one
 * read (or answered) at or after its deadline, as a single canceller polls one last time at its deadline. A slow
 * batch never times out an operation it has not looked at.
 */
export function expire(ops: OpState[], now: number): void {
  for (const op of ops) {
    if (op.s !== 'done' && op.d !== undefined && now >= op.d && (op.rt ?? -Infinity) >= op.d) {
      finish(op, 'TIMED_OUT', op.e);
    }
  }
}

/** Counts by outcome (every outcome present, zero or not). */
export function countOutcomes(ops: readonly OpState[]): Record<BulkOutcome, number> {
  const counts = Object.fromEntries(BULK_OUTCOMES.map((o) => [o, 0])) as Record<BulkOutcome, number>;
  for (const op of ops) if (op.o !== undefined) counts[op.o] += 1;
  return counts;
}

function finish(op: OpState, outcome: BulkOutcome, error?: ResultError): void {
  op.s = 'done';
  op.o = outcome;
  if (error) op.e = error;
  else delete op.e;
  delete op.nf;
  delete op.nb;
  delete op.rt;
}

/** The delay Google asked for, held within the package's bounds; `fallback` when it asked for none. */
function hinted(retryDelayMs: number | undefined, fallback: number): number {
  if (retryDelayMs === undefined) return fallback;
  return Math.max(fallback, Math.min(MAX_HINT_MS, Math.max(MIN_HINT_MS, retryDelayMs)));
}

function resultError(status: string, message: string): ResultError {
  const code = isRpcCodeName(status) ? RpcCode[status] : RpcCode.UNKNOWN;
  return { code, status, message };
}
