/**
 * What a canceller knows, and what continue-as-new carries from one run to the next: built fresh for the first
 * run, and checked when it arrives as the second argument of a later one.
 */
import type { CancellerSettings } from '../src/domain/canceller-input';
import { InvalidArgumentError } from '../src/domain/invalid-argument';
import type { OperationSummary } from '../src/domain/operation-summary';
import type { RecordedOutcome, ResultError } from '../src/domain/outcome';
import type { CancelRequestSent } from '../src/domain/call-answers';
import type { CancellerStatus } from '../src/domain/canceller-api';

/** What continue-as-new carries from one run to the next. */
export interface CancellerState {
  startedAt: number;
  phase: 'waiting' | 'cancelling';
  /** When the current phase stops waiting (ms since the epoch, workflow time). */
  deadline: number;
  polls: number;
  /** Backoff step within the current phase. */
  attempt: number;
  /** The cancel request was answered. */
  cancelSent: boolean;
  cancelAccepted: boolean;
  /** A cancel request was interrupted in flight (the canceller gave up) and may have reached the service. */
  cancelMaybeSent?: boolean;
  /** The cancel answered NOT_FOUND: send it again once the operation is visible. */
  resendCancel: boolean;
  /** The cancel answered FAILED_PRECONDITION. */
  notCancellable: boolean;
  notFoundSince?: number;
  lastNotFound?: string;
  timedOut: boolean;
  lastOperation?: OperationSummary;
  /** The last error a call answered while Temporal retried it. */
  lastError?: ResultError;
  /** Workflows waiting for the outcome (`join`), by workflow ID. */
  waiters?: string[];
  /** The account the calls were made as (an email), once an answer said. */
  principal?: string;
  /** The service does not support WaitOperation: poll with GETs on the schedule for the rest of the canceller. */
  waitUnsupported?: boolean;
}

/** At most this many workflows can wait for one canceller's outcome: the list travels through continue-as-new. */
export const MAX_WAITERS = 100;
/** Temporal's default limit on a workflow ID's length. */
export const MAX_WAITER_ID_LENGTH = 1_000;

/** Builds the first run's state. */
export function initialState(settings: CancellerSettings, now: number): CancellerState {
  const waiting = settings.mode === 'await';
  return {
    startedAt: now,
    phase: waiting ? 'waiting' : 'cancelling',
    deadline: now + (waiting ? settings.waitMs : settings.cancelTimeoutMs),
    polls: 0,
    attempt: 0,
    cancelSent: false,
    cancelAccepted: false,
    resendCancel: false,
    notCancellable: false,
    timedOut: false,
  };
}

/**
 * The state a run was given as its second argument. Only a run continued as new may have one (`continuedAsNew`):
 * anyone else could use it to skip the cancel or to have the outcome signalled to arbitrary workflows, so it is
 * refused with `INVALID_ARGUMENT`, as is a state of the wrong shape.
 */
export function carriedState(carried: unknown, continuedAsNew: boolean): CancellerState | undefined {
  if (carried === undefined || carried === null) return undefined;
  const refuse = (rule: string): never => {
    throw new InvalidArgumentError('carried', rule);
  };
  if (!continuedAsNew) refuse('is set by continue-as-new only; start a canceller with one input object');
  if (typeof carried !== 'object' || Array.isArray(carried)) refuse('must be a canceller state object');
  const state = carried as Record<string, unknown>;
  for (const key of ['startedAt', 'deadline', 'polls', 'attempt']) {
    if (typeof state[key] !== 'number' || !Number.isFinite(state[key])) refuse(`${key} must be a finite number`);
  }
  for (const key of ['cancelSent', 'cancelAccepted', 'resendCancel', 'notCancellable', 'timedOut']) {
    if (typeof state[key] !== 'boolean') refuse(`${key} must be true or false`);
  }
  if (state['phase'] !== 'waiting' && state['phase'] !== 'cancelling') refuse('phase must be waiting or cancelling');
  if (state['waitUnsupported'] !== undefined && typeof state['waitUnsupported'] !== 'boolean') {
    refuse('waitUnsupported must be true or false');
  }
  const waiters = state['waiters'];
  if (
    waiters !== undefined &&
    !(
      Array.isArray(waiters) &&
      waiters.length <= MAX_WAITERS &&
      waiters.every((id) => typeof id === 'string' && id.length > 0 && id.length <= MAX_WAITER_ID_LENGTH)
    )
  ) {
    refuse(`waiters must be at most ${MAX_WAITERS} workflow IDs`);
  }
  return carried as CancellerState;
}

/** What the `status` query shows beyond the state: the outcome so far, the cancel in flight, the next read. */
export interface LiveStatus {
  outcome: RecordedOutcome;
  cancelRequestSent: CancelRequestSent;
  nextPollAt: number | undefined;
  waitingUntil: number | undefined;
}

/** The `status` query's answer for a canceller of `settings` in `state`. */
export function statusOf(state: CancellerState, settings: CancellerSettings, live: LiveStatus): CancellerStatus {
  const cancelRequested = state.lastOperation?.metadata?.cancelRequested;
  const { outcome, nextPollAt, waitingUntil } = live;
  return {
    operation: settings.ref.url,
    outcome,
    phase: outcome === 'PENDING' ? state.phase : 'finished',
    polls: state.polls,
    cancelSent: state.cancelSent,
    cancelRequestSent: live.cancelRequestSent,
    cancelAccepted: state.cancelAccepted,
    ...(cancelRequested === undefined ? {} : { cancelRequested }),
    ...(state.lastOperation ? { lastOperation: state.lastOperation } : {}),
    ...(state.lastError ? { lastError: state.lastError } : {}),
    ...(state.principal ? { principal: state.principal } : {}),
    ...(nextPollAt === undefined ? {} : { nextPollAt: iso(nextPollAt) }),
    pollMode: settings.pollMode === 'get' ? 'get' : state.waitUnsupported ? 'get (wait unsupported)' : 'wait',
    ...(waitingUntil === undefined ? {} : { waitingUntil: iso(waitingUntil) }),
    deadline: iso(state.deadline),
    startedAt: iso(state.startedAt),
    timedOut: state.timedOut,
    waiters: state.waiters?.length ?? 0,
  };
}

/** Milliseconds since the epoch as ISO-8601. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
