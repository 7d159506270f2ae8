/**
 * The canceller exactly as release 0.1.0 ran it, frozen. Runs that 0.1.0 started (their histories have no
 * {@link RELEASE_0_2_PATCH} marker) replay and finish on this code until they continue as new; the next run takes
 * today's code with the state this one carries. Do not change what it does: `test/replay.test.ts` replays 0.1.0's
 * histories against it. Delete it, with `deprecatePatch`, once no 0.1.0 run can still be open.
 */
import {
  ActivityFailure,
  continueAsNew,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  metricMeter,
  proxyActivities,
  setHandler,
  TimeoutFailure,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { pollDelay } from '../src/domain/backoff';
import type { CancelAndGetAnswer, GetAnswer } from '../src/domain/call-answers';
import {
  extendTimeoutUpdate,
  giveUpSignal,
  pollNowSignal,
  statusQuery,
  type CancellerStatus,
} from '../src/domain/canceller-api';
import {
  validateAwaitInput,
  validateCancelInput,
  type AwaitOperationInput,
  type CancelOperationInput,
  type CancellerSettings,
} from '../src/domain/canceller-input';
import { parseDuration } from '../src/domain/durations';
import { recordOutcome } from '../src/domain/metrics';
import type { OperationSummary } from '../src/domain/operation-summary';
import type { AwaitOperationResult, CancelOperationResult, Outcome, RecordedOutcome } from '../src/domain/outcome';
import { LRO_OUTCOME, pendingSearchAttributes, pendingSummary } from '../src/domain/search-attributes';

/** What continue-as-new carried from one 0.1.0 run to the next (today's `CancellerState` reads it). */
interface LegacyState {
  startedAt: number;
  phase: 'waiting' | 'cancelling';
  /** When the current phase stops waiting (ms since the epoch, workflow time). */
  deadline: number;
  polls: number;
  /** Backoff step within the current phase. */
  attempt: number;
  cancelSent: boolean;
  cancelAccepted: boolean;
  /** The cancel answered NOT_FOUND: send it again once the operation is visible. */
  resendCancel: boolean;
  /** The cancel answered FAILED_PRECONDITION. */
  notCancellable: boolean;
  notFoundSince?: number;
  lastNotFound?: string;
  timedOut: boolean;
  lastOperation?: OperationSummary;
}

const FATAL_ERROR_TYPES = ['INVALID_ARGUMENT', 'PERMISSION_DENIED', 'UNAUTHENTICATED'];

/** A run continues as new after this many polls even if the server has not suggested it yet. */
const MAX_POLLS_PER_RUN = 500;
/** Start-to-close time of an activity, per HTTP call it makes. */
const ACTIVITY_CALL_TIMEOUT_MS = 60_000;
/** Extra time an activity may keep retrying past the deadline before we call it "no answer". */
const ACTIVITY_GRACE_MS = 60_000;
const NO_ANSWER = Symbol('no answer before the deadline');

function initialState(settings: CancellerSettings, now: number): LegacyState {
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

/** `cancelOperation` as 0.1.0 ran it. */
export async function legacyCancelOperation(
  input: CancelOperationInput,
  carried: LegacyState | undefined,
): Promise<CancelOperationResult> {
  const settings = validateCancelInput(input);
  const { timedOut: _timedOut, ...result } = await runCanceller(settings, carried, (state) =>
    continueAsNew(input, state),
  );
  return result;
}

/** `awaitOperation` as 0.1.0 ran it. */
export async function legacyAwaitOperation(
  input: AwaitOperationInput,
  carried: LegacyState | undefined,
): Promise<AwaitOperationResult> {
  return runCanceller(validateAwaitInput(input), carried, (state) => continueAsNew(input, state));
}

async function runCanceller(
  settings: CancellerSettings,
  carried: LegacyState | undefined,
  restart: (state: LegacyState) => Promise<never>,
): Promise<AwaitOperationResult> {
  const { ref } = settings;
  const refInput = { operation: ref.url };
  const now = (): number => Date.now();
  const state = carried ?? initialState(settings, now());
  let outcome: RecordedOutcome = 'PENDING';
  let pollNow = false;
  let giveUp = false;
  let nextPollAt: number | undefined;
  let pollsThisRun = 0;

  setHandler(statusQuery, (): CancellerStatus => {
    const cancelRequested = state.lastOperation?.metadata?.cancelRequested;
    return {
      operation: ref.url,
      outcome,
      phase: outcome === 'PENDING' ? state.phase : 'finished',
      polls: state.polls,
      cancelSent: state.cancelSent,
      cancelRequestSent: state.cancelSent ? 'yes' : 'no',
      cancelAccepted: state.cancelAccepted,
      ...(cancelRequested === undefined ? {} : { cancelRequested }),
      ...(state.lastOperation ? { lastOperation: state.lastOperation } : {}),
      ...(nextPollAt === undefined ? {} : { nextPollAt: iso(nextPollAt) }),
      deadline: iso(state.deadline),
      startedAt: iso(state.startedAt),
      timedOut: state.timedOut,
    };
  });
  setHandler(pollNowSignal, () => {
    pollNow = true;
  });
  setHandler(giveUpSignal, () => {
    giveUp = true;
  });
  setHandler(
    extendTimeoutUpdate,
    (by) => {
      state.deadline += parseDuration('by', by);
      return iso(state.deadline);
    },
    {
      validator: (by) => {
        parseDuration('by', by);
      },
    },
  );

  const record = (recorded: RecordedOutcome, line: string): void => {
    outcome = recorded;
    upsertSearchAttributes([{ key: LRO_OUTCOME, value: recorded }]);
    upsertMemo({ summary: `${recorded}: ${line}` });
    recordOutcome(metricMeter, recorded, state.polls);
  };

  const finish = (final: Outcome, error?: { code: number; status: string; message: string }): AwaitOperationResult => {
    const last = state.lastOperation;
    const opError = last && (last.state === 'cancelled' || last.state === 'failed') ? last.error : undefined;
    const resultError = error ?? opError;
    record(
      final,
      `${ref.url} after ${state.polls} poll(s), cancel ${state.cancelAccepted ? 'accepted' : 'not accepted'}`,
    );
    return {
      operation: ref.url,
      service: ref.service,
      apiVersion: ref.apiVersion,
      outcome: final,
      cancelAccepted: state.cancelAccepted,
      polls: state.polls,
      ...(resultError ? { error: resultError } : {}),
      ...(last?.state === 'succeeded' && last.responseType ? { responseType: last.responseType } : {}),
      ...(last?.metadata ? { metadata: last.metadata } : {}),
      startedAt: iso(state.startedAt),
      finishedAt: iso(now()),
      timedOut: state.timedOut,
    };
  };

  /** One activity; `calls` is how many HTTP calls it makes, each allowed a minute. */
  const attempt = async <T>(call: (activities: Activities) => Promise<T>, calls = 1): Promise<T | typeof NO_ANSWER> => {
    const activities = proxyActivities<Activities>({
      startToCloseTimeout: calls * ACTIVITY_CALL_TIMEOUT_MS,
      scheduleToCloseTimeout: Math.max(0, state.deadline - now()) + ACTIVITY_GRACE_MS,
      retry: {
        initialInterval: '1s',
        backoffCoefficient: 2,
        maximumInterval: '1 minute',
        nonRetryableErrorTypes: [...FATAL_ERROR_TYPES, 'OUT_OF_RANGE'],
      },
    });
    try {
      return await call(activities);
    } catch (err) {
      if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) return NO_ANSWER;
      throw err;
    }
  };

  const loop = async (): Promise<AwaitOperationResult> => {
    for (;;) {
      let got: GetAnswer | typeof NO_ANSWER | undefined;
      /** The service asked to wait this long before the next GET. */
      let retryDelayMs = 0;
      if (state.phase === 'cancelling' && !state.cancelSent) {
        const answer: CancelAndGetAnswer | typeof NO_ANSWER = await attempt((a) => a.cancelAndGet(refInput), 2);
        if (answer === NO_ANSWER) return finish('TIMED_OUT');
        const { cancel } = answer;
        state.cancelSent = true;
        if (cancel.result === 'accepted') state.cancelAccepted = true;
        else if (cancel.result === 'UNIMPLEMENTED') return finish('UNIMPLEMENTED', answerError(12, cancel));
        // Sent again once the operation is visible, but only if it never was: a service whose cancel answers
        // NOT_FOUND for an operation GET can see would otherwise be asked again and again.
        else if (cancel.result === 'NOT_FOUND') state.resendCancel = state.lastOperation === undefined;
        else state.notCancellable = true;
        got = answer.get;
        retryDelayMs = answer.getFailed?.retryDelayMs ?? 0;
      } else {
        got = await attempt((a) => a.getOperation(refInput));
      }

      if (got !== NO_ANSWER && got !== undefined) {
        state.polls++;
        pollsThisRun++;
        if (!got.found) {
          state.notFoundSince ??= now();
          state.lastNotFound = got.message;
          if (now() - state.notFoundSince >= settings.notFoundGraceMs) {
            return finish('NOT_FOUND', { code: 5, status: 'NOT_FOUND', message: got.message });
          }
        } else {
          delete state.notFoundSince;
          state.lastOperation = got.operation;
          if (got.operation.done) return finish(outcomeOf(got.operation));
          if (state.notCancellable) return finish('NOT_CANCELLABLE');
          if (state.resendCancel) {
            state.resendCancel = false;
            state.cancelSent = false;
            continue;
          }
        }
      }

      if (giveUp || got === NO_ANSWER || now() >= state.deadline) {
        giveUp = false;
        if (state.phase === 'waiting') {
          state.timedOut = true;
          if (settings.cancelOnTimeout) {
            state.phase = 'cancelling';
            state.deadline = now() + settings.cancelTimeoutMs;
            state.attempt = 0;
            continue;
          }
        }
        if (state.notFoundSince !== undefined) {
          return finish('NOT_FOUND', { code: 5, status: 'NOT_FOUND', message: state.lastNotFound ?? 'not found' });
        }
        return finish('TIMED_OUT');
      }

      if (workflowInfo().continueAsNewSuggested || pollsThisRun >= MAX_POLLS_PER_RUN) {
        await condition(allHandlersFinished);
        return restart(state);
      }

      const backoff = Math.max(pollDelay(settings.schedule, state.attempt, Math.random()), retryDelayMs);
      const delay = Math.min(backoff, state.deadline - now());
      state.attempt++;
      if (delay > 0) {
        nextPollAt = now() + delay;
        await condition(() => pollNow || giveUp, delay);
        nextPollAt = undefined;
      }
      pollNow = false;
    }
  };

  // startCancel/startAwait record these with the start; a start from the Web UI or a parent does not.
  if (!carried && workflowInfo().typedSearchAttributes.get(LRO_OUTCOME) === undefined) {
    upsertSearchAttributes(pendingSearchAttributes(ref, ref.url));
    upsertMemo({ summary: pendingSummary(settings.mode === 'await' ? 'awaiting' : 'cancelling', ref) });
  }

  try {
    return await loop();
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        record('ABANDONED', `${ref.url}: the canceller was cancelled after ${state.polls} poll(s)`);
      });
      throw err;
    }
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const type = cause instanceof ApplicationFailure ? (cause.type ?? 'UNKNOWN') : 'UNKNOWN';
    const message = cause instanceof Error ? cause.message : String(cause);
    record('ERROR', `${ref.url}: ${type}: ${message}`);
    if (cause instanceof ApplicationFailure && FATAL_ERROR_TYPES.includes(type)) {
      throw ApplicationFailure.create({
        type,
        message,
        nonRetryable: true,
        details: cause.details ?? [],
        cause: err as Error,
      });
    }
    throw err;
  }
}

function outcomeOf(operation: OperationSummary): Outcome {
  switch (operation.state) {
    case 'cancelled':
      return 'CANCELLED';
    case 'failed':
      return 'FAILED';
    default:
      return 'COMPLETED';
  }
}

function answerError(code: number, answer: { result: string; message: string }) {
  return { code, status: answer.result, message: answer.message };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
