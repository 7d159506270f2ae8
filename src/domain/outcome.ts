/**
 * Outcomes and results of the cancel and await workflows.
 *
 * Pure: safe to import from workflow code.
 */
import type { MetadataSummary } from './operation-summary';

/** How a cancel (or an await) ended. */
export const OUTCOMES = [
  'CANCELLED',
  'COMPLETED',
  'FAILED',
  'UNIMPLEMENTED',
  'NOT_CANCELLABLE',
  'NOT_FOUND',
  'TIMED_OUT',
] as const;

/**
 * - `CANCELLED`: done with `error.code` 1.
 * - `COMPLETED`: finished anyway, with a response or with neither result.
 * - `FAILED`: finished anyway, with another error.
 * - `UNIMPLEMENTED`: the service does not support cancellation.
 * - `NOT_CANCELLABLE`: the cancel answered FAILED_PRECONDITION and the operation is still running.
 * - `NOT_FOUND`: the operation does not exist (after the grace period).
 * - `TIMED_OUT`: the timeout passed (or an operator gave up) and the operation is still running.
 */
export type Outcome = (typeof OUTCOMES)[number];

/**
 * What the `LroOutcome` search attribute holds: `PENDING` while running, then an {@link Outcome}, or
 * `ERROR` (the workflow failed: permission denied, bad input, ...) or `ABANDONED` (the workflow itself was
 * cancelled before an outcome).
 */
export type RecordedOutcome = Outcome | 'PENDING' | 'ERROR' | 'ABANDONED';

/** An error in a result: the numeric google.rpc code, its name, and a bounded message. */
export interface ResultError {
  code: number;
  status: string;
  message: string;
}

/** The result of `cancelOperation`. */
export interface CancelOperationResult {
  /** The canonical operation URL. */
  operation: string;
  /** The API service, e.g. `alloydb.googleapis.com`. */
  service: string;
  apiVersion: string;
  outcome: Outcome;
  /** Whether the service accepted the cancel request (which alone proves nothing). */
  cancelAccepted: boolean;
  /** GetOperation calls made. */
  polls: number;
  /**
   * The account Google's calls were made as: the service account named in `impersonate`, or the worker's own
   * identity when its credentials tell. An email, never a token.
   */
  principal?: string;
  /**
   * The operation's error when it finished with one (`CANCELLED`, `FAILED`); the service's answer
   * (`UNIMPLEMENTED`, `NOT_FOUND`); for `TIMED_OUT`, the last error a call answered while it was being retried
   * when the deadline passed (a Google error, a reset, a malformed answer), if any.
   */
  error?: ResultError;
  /** The response's `@type`, for `COMPLETED` with a response. */
  responseType?: string;
  /** The last metadata seen, bounded. */
  metadata?: MetadataSummary;
  /** ISO-8601 times. */
  startedAt: string;
  finishedAt: string;
}

/** The result of `awaitOperation`: as {@link CancelOperationResult}, plus whether the timeout fired. */
export interface AwaitOperationResult extends CancelOperationResult {
  timedOut: boolean;
}
