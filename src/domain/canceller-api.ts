/**
 * The messages a running canceller answers: a `status` query, `pollNow`, `giveUp` and `join` signals, and an
 * `extendTimeout` update; and the `cancellerFinished` signal it sends to the workflows that joined it. Defined
 * once here so clients, parents and the workflows share them.
 *
 * Pure: safe to import from workflow code.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CancelRequestSent } from './call-answers';
import type { OperationSummary } from './operation-summary';
import type { AwaitOperationResult, CancelOperationResult, RecordedOutcome, ResultError } from './outcome';

/** Live progress of a canceller. Times are ISO-8601. */
export interface CancellerStatus {
  operation: string;
  /** `PENDING` until the outcome is known. */
  outcome: RecordedOutcome;
  /** `waiting` (awaitOperation before its timeout), `cancelling`, or `finished`. */
  phase: 'waiting' | 'cancelling' | 'finished';
  polls: number;
  /** The cancel request was answered. */
  cancelSent: boolean;
  /**
   * Whether this canceller's cancel request went out: `maybe` when it was interrupted in flight (giving up,
   * cancelling the canceller) and may have reached the service.
   */
  cancelRequestSent: CancelRequestSent;
  cancelAccepted: boolean;
  /** Whether the service's metadata says a cancel was requested, when it says. */
  cancelRequested?: boolean;
  lastOperation?: OperationSummary;
  /** The last error a call answered while being retried (a Google error, a reset, a malformed answer). */
  lastError?: ResultError;
  /** The account the calls are made as (an email). */
  principal?: string;
  nextPollAt?: string;
  /**
   * How the operation is read: `get` (GetOperation on the schedule), `wait` (WaitOperation, `poll.mode: 'wait'`), or
   * `get (wait unsupported)` when the service answered that it does not support WaitOperation. Absent from a
   * canceller 0.1.0 started.
   */
  pollMode?: 'get' | 'wait' | 'get (wait unsupported)';
  /** While a WaitOperation call is in flight: when it answers at the latest. */
  waitingUntil?: string;
  /** When the current phase gives up waiting. */
  deadline: string;
  startedAt: string;
  timedOut: boolean;
  /** How many workflows joined it (`join`) and will be sent its outcome. */
  waiters?: number;
}

/** Live progress: polls so far, last metadata, next poll time, deadline. */
export const statusQuery = defineQuery<CancellerStatus>('status');
/** Poll GetOperation now instead of at the next scheduled time. */
export const pollNowSignal = defineSignal('pollNow');
/** Stop waiting as if the timeout had passed now (`awaitOperation` then cancels, if it is set to). */
export const giveUpSignal = defineSignal('giveUp');
/** Move the current deadline later by a duration (`"30m"` or milliseconds); answers the new deadline. */
export const extendTimeoutUpdate = defineUpdate<string, [string | number]>('extendTimeout');

/** A workflow that wants a running canceller's outcome. */
export interface CancellerWaiter {
  /** Its workflow ID: the outcome goes to whichever run is current then, so a retried parent gets it too. */
  workflowId: string;
}

/**
 * Asks a running canceller to send its outcome to a workflow (`cancellerFinished`) when it ends. Sending it
 * twice registers the workflow once. `executeCancelOperation` and `executeAwaitOperation` send it for you.
 */
export const joinSignal = defineSignal<[CancellerWaiter]>('join');

/** What a canceller sends to the workflows that joined it, when it ends. */
export interface CancellerFinished {
  /** The canceller's workflow ID. */
  workflowId: string;
  /** Its result, when it ended with an outcome. */
  result?: CancelOperationResult | AwaitOperationResult;
  /** Why it ended without one: `type` is the failure type (`PERMISSION_DENIED`…) or `ABANDONED`. */
  failure?: { type: string; message: string };
}

/** The outcome of a canceller, sent to each workflow that joined it. */
export const cancellerFinishedSignal = defineSignal<[CancellerFinished]>('cancellerFinished');
