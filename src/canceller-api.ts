/**
 * The messages a running canceller answers: a `status` query, `pollNow` and `giveUp` signals, and an
 * `extendTimeout` update. Defined once here so clients, parents and the workflows share them.
 *
 * Pure: safe to import from workflow code.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OperationSummary } from './operation-summary';
import type { RecordedOutcome } from './outcome';

/** Live progress of a canceller. Times are ISO-8601. */
export interface CancellerStatus {
  operation: string;
  /** `PENDING` until the outcome is known. */
  outcome: RecordedOutcome;
  /** `waiting` (awaitOperation before its timeout), `cancelling`, or `finished`. */
  phase: 'waiting' | 'cancelling' | 'finished';
  polls: number;
  cancelSent: boolean;
  cancelAccepted: boolean;
  /** Whether the service's metadata says a cancel was requested, when it says. */
  cancelRequested?: boolean;
  lastOperation?: OperationSummary;
  nextPollAt?: string;
  /** When the current phase gives up waiting. */
  deadline: string;
  startedAt: string;
  timedOut: boolean;
}

/** Live progress: polls so far, last metadata, next poll time, deadline. */
export const statusQuery = defineQuery<CancellerStatus>('status');
/** Poll GetOperation now instead of at the next scheduled time. */
export const pollNowSignal = defineSignal('pollNow');
/** Stop waiting as if the timeout had passed now (`awaitOperation` then cancels, if it is set to). */
export const giveUpSignal = defineSignal('giveUp');
/** Move the current deadline later by a duration (`"30m"` or milliseconds); answers the new deadline. */
export const extendTimeoutUpdate = defineUpdate<string, [string | number]>('extendTimeout');
