/**
 * The engine both workflows share: send the cancel (at once, or when an await times out), poll
 * GetOperation with backoff until an outcome, record it durably, and continue-as-new before history grows.
 *
 * Polling uses workflow timers between single-attempt activities ("periodic" polling): a waiting canceller
 * holds no worker slot (a heartbeating activity would hold one per canceller), operators can wake it or
 * move its deadline, the status query sees every poll, and about 11 events a poll with continue-as-new at
 * the server's suggestion keeps each run far from the history limits.
 *
 * With `poll.mode: 'wait'` the timer and the GET after it become one WaitOperation call (`waitOperation`), which the
 * service answers when the operation is done: the outcome is known at once, at the cost of a worker slot held
 * during each call. A service without WaitOperation sends the canceller back to timers and GETs for good.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  ContinueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  metricMeter,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { pollDelay } from '../src/domain/backoff';
import type {
  CancelAndGetAnswer,
  CancelAnswer,
  CancelRequestSent,
  GetAnswer,
  WaitAnswer,
} from '../src/domain/call-answers';
import {
  cancellerFinishedSignal,
  extendTimeoutUpdate,
  giveUpSignal,
  joinSignal,
  pollNowSignal,
  statusQuery,
  type CancellerFinished,
  type CancellerStatus,
} from '../src/domain/canceller-api';
import { WAIT_ANSWER_MARGIN_MS, WAIT_CALL_MAX_MS, type CancellerSettings } from '../src/domain/canceller-input';
import { parseDuration } from '../src/domain/durations';
import { recordOutcome } from '../src/domain/metrics';
import type { AwaitOperationResult, Outcome, RecordedOutcome, ResultError } from '../src/domain/outcome';
import { RpcCode, isRpcCodeName } from '../src/domain/rpc-code';
import { LRO_OUTCOME, pendingSummary } from '../src/domain/search-attributes';
import { recordedPending } from './bounded-ids';
import {
  CANCEL_ACTIVITY_SUMMARY,
  currentDetails,
  pollActivitySummary,
  pollTimerSummary,
  waitActivitySummary,
} from '../src/domain/web-ui';
import {
  answerError,
  cancelProgressOf,
  describeFailure,
  outcomeOf,
  ranOutOfTime,
  terminalFailure,
  withoutTimedOut,
} from './canceller-failures';
import { initialState, iso, MAX_WAITER_ID_LENGTH, MAX_WAITERS, statusOf, type CancellerState } from './canceller-state';

import {
  ACTIVITY_CALL_TIMEOUT_MS,
  EARLY_WAIT_ANSWER_MS,
  FATAL_ERROR_TYPES,
  HEARTBEAT_TIMEOUT_MS,
  MAX_POLLS_PER_RUN,
  MIN_RETRY_WINDOW_MS,
  MIN_WAIT_MS,
} from './canceller-setup';

export type { CancellerState } from './canceller-state';
export { FATAL_ERROR_TYPES, RELEASE_0_2_PATCH, validatedOrRecorded } from './canceller-setup';

const NO_ANSWER = Symbol('no answer before the deadline');
/** An operator's `pollNow` interrupted a wait. */
const INTERRUPTED = Symbol('interrupted by pollNow');
const CANCEL_REQUEST_NOTES: Readonly<Record<CancelRequestSent, string>> = {
  yes: 'a cancel request was sent',
  maybe: 'a cancel request may have been sent',
  no: 'no cancel request was sent',
};

/**
 * Runs a canceller to its outcome. `restart` continues as new with the state; `carried` is the state from
 * the previous run, if any.
 */
export async function runCanceller(
  settings: CancellerSettings,
  carried: CancellerState | undefined,
  restart: (state: CancellerState) => Promise<never>,
): Promise<AwaitOperationResult> {
  const { ref } = settings;
  const refInput = { operation: ref.url, ...(settings.impersonate ? { impersonate: settings.impersonate } : {}) };
  const now = (): number => Date.now();
  const state = carried ?? initialState(settings, now());
  let outcome: RecordedOutcome = 'PENDING';
  let pollNow = false;
  let giveUp = false;
  /** giveUp signals received: a call interrupted by one is the one running when it came. */
  let giveUps = 0;
  let nextPollAt: number | undefined;
  let pollsThisRun = 0;
  /** The cancel request in flight, if any: cancelling the canceller waits to learn whether it went out. */
  let cancelInFlight: Promise<CancelAndGetAnswer> | undefined;
  /** When the WaitOperation call in flight, if any, is due to answer at the latest. */
  let waitingUntil: number | undefined;
  /** The next read is a GET: an operator asked for a poll now. */
  let getNext = false;
  /** WaitOperation is how this canceller reads the operation (it asked for it, and the service has it). */
  const waiting = (): boolean => settings.pollMode === 'wait' && !state.waitUnsupported;

  const cancelRequestSent = (): CancelRequestSent =>
    state.cancelSent ? 'yes' : state.cancelMaybeSent || cancelInFlight ? 'maybe' : 'no';

  const status = (): CancellerStatus =>
    statusOf(state, settings, { outcome, cancelRequestSent: cancelRequestSent(), nextPollAt, waitingUntil });
  setHandler(statusQuery, status);
  /** The story so far, on the workflow's page in the Web UI. */
  const workflowType = settings.mode === 'cancel' ? 'cancelOperation' : 'awaitOperation';
  const showDetails = (): void => setCurrentDetails(currentDetails(workflowType, status()));
  setHandler(pollNowSignal, () => {
    pollNow = true;
  });
  setHandler(giveUpSignal, () => {
    giveUp = true;
    giveUps++;
    showDetails();
  });
  setHandler(joinSignal, (waiter) => {
    const id = typeof waiter?.workflowId === 'string' ? waiter.workflowId : '';
    const waiters = state.waiters ?? [];
    if (id === '' || id.length > MAX_WAITER_ID_LENGTH || waiters.includes(id)) return;
    // The list travels through continue-as-new: a flood of joins must not outgrow its payload.
    if (waiters.length >= MAX_WAITERS) {
      log.warn('join refused: too many workflows wait for this canceller', { waiter: id, max: MAX_WAITERS });
      return;
    }
    state.waiters = [...waiters, id];
    showDetails();
  });
  setHandler(
    extendTimeoutUpdate,
    (by) => {
      state.deadline += parseDuration('by', by);
      showDetails();
      return iso(state.deadline);
    },
    { validator: (by) => void parseDuration('by', by) },
  );

  const record = (recorded: RecordedOutcome, line: string): void => {
    outcome = recorded;
    showDetails();
    upsertSearchAttributes([{ key: LRO_OUTCOME, value: recorded }]);
    upsertMemo({ summary: `${recorded}: ${line}` });
    log.info('outcome recorded', { operation: ref.url, outcome: recorded });
    recordOutcome(metricMeter, recorded, state.polls);
  };

  /** Sends the outcome to every workflow that joined, including any that join while it is being sent. */
  const notifyWaiters = async (message: Omit<CancellerFinished, 'workflowId'>): Promise<void> => {
    const notified = new Set<string>();
    for (;;) {
      const pending = (state.waiters ?? []).filter((id) => !notified.has(id));
      if (pending.length === 0) return;
      await Promise.all(
        pending.map(async (id) => {
          notified.add(id);
          try {
            await getExternalWorkflowHandle(id).signal(cancellerFinishedSignal, {
              workflowId: workflowInfo().workflowId,
              ...message,
            });
          } catch {
            // It ended (or never existed): nobody is waiting there any more.
          }
        }),
      );
    }
  };

  const finish = async (final: Outcome, error?: ResultError): Promise<AwaitOperationResult> => {
    const last = state.lastOperation;
    const opError = last && (last.state === 'cancelled' || last.state === 'failed') ? last.error : undefined;
    const resultError = error ?? opError ?? (final === 'TIMED_OUT' ? state.lastError : undefined);
    const cancelNote = state.cancelAccepted
      ? 'accepted'
      : cancelRequestSent() === 'maybe'
        ? 'may have been sent'
        : 'not accepted';
    const actedAs = state.principal ? `, as ${state.principal}` : '';
    record(final, `${ref.url} after ${state.polls} poll(s), cancel ${cancelNote}${actedAs}`);
    const result: AwaitOperationResult = {
      operation: ref.url,
      service: ref.service,
      apiVersion: ref.apiVersion,
      outcome: final,
      cancelAccepted: state.cancelAccepted,
      polls: state.polls,
      ...(state.principal ? { principal: state.principal } : {}),
      ...(resultError ? { error: resultError } : {}),
      ...(last?.state === 'succeeded' && last.responseType ? { responseType: last.responseType } : {}),
      ...(last?.metadata ? { metadata: last.metadata } : {}),
      startedAt: iso(state.startedAt),
      finishedAt: iso(now()),
      timedOut: state.timedOut,
    };
    const published = settings.mode === 'cancel' ? withoutTimedOut(result) : result;
    // A cancel of the canceller arriving now must not cost the waiting parents their outcome.
    await CancellationScope.nonCancellable(() => notifyWaiters({ result: published }));
    return result;
  };

  /**
   * One activity, retried by Temporal until the phase's deadline. It answers {@link NO_ANSWER} when the retries
   * run out (the last error is kept in `state.lastError`) or when an operator gives up; `calls` is how many HTTP
   * calls it makes, each allowed a minute. A WaitOperation call (`waits`) is allowed its wait on top, and answers
   * {@link INTERRUPTED} when an operator asks for a poll now.
   */
  const attempt = async <T>(
    call: (activities: Activities) => Promise<T>,
    options: { calls: number; summary: string; sendsCancel?: boolean; waits?: boolean },
  ): Promise<T | typeof NO_ANSWER | typeof INTERRUPTED> => {
    showDetails();
    const retryWindow = Math.max(state.deadline - now(), MIN_RETRY_WINDOW_MS);
    const activities = proxyActivities<Activities>({
      summary: options.summary,
      startToCloseTimeout: options.calls * ACTIVITY_CALL_TIMEOUT_MS + (options.waits ? WAIT_CALL_MAX_MS : 0),
      // A wait that ends at the deadline is given the time to bring its answer back.
      scheduleToCloseTimeout: retryWindow + (options.waits ? WAIT_ANSWER_MARGIN_MS : 0),
      heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
      // A cancel request in flight is waited for, so that the record can say whether it went out.
      cancellationType: options.sendsCancel
        ? ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
        : ActivityCancellationType.TRY_CANCEL,
      retry: {
        initialInterval: '1s',
        backoffCoefficient: 2,
        maximumInterval: '1 minute',
        nonRetryableErrorTypes: [...FATAL_ERROR_TYPES, 'OUT_OF_RANGE'],
      },
    });
    const scope = new CancellationScope();
    let settled = false;
    const running = scope.run(() => call(activities));
    void running.then(
      () => (settled = true),
      () => (settled = true),
    );
    if (options.sendsCancel) cancelInFlight = running as unknown as Promise<CancelAndGetAnswer>;
    // A signal wakes this, not a timer: an operator's giveUp interrupts even a call Temporal is still retrying.
    // One that came before the call lets it run: the last poll before giving up.
    const giveUpsBefore = giveUps;
    await condition(() => settled || giveUps > giveUpsBefore || (options.waits === true && pollNow));
    if (!settled) {
      scope.cancel();
      running.catch(() => undefined);
      if (options.sendsCancel) state.cancelMaybeSent = true;
      cancelInFlight = undefined;
      return giveUps > giveUpsBefore ? NO_ANSWER : INTERRUPTED;
    }
    cancelInFlight = undefined;
    try {
      return await running;
    } catch (err) {
      if (!(err instanceof ActivityFailure) || !ranOutOfTime(err)) throw err;
      state.lastError = describeFailure(err.cause);
      if (options.sendsCancel) {
        // The heartbeats of a slow attempt say how far it got; otherwise some attempt may have reached the service.
        const progress = cancelProgressOf(err);
        if (progress?.cancel) applyCancelAnswer(progress.cancel);
        else state.cancelMaybeSent = progress?.cancelRequestSent !== 'no';
      }
      return NO_ANSWER;
    }
  };

  /** The answer of a call that is not a wait: only a wait gives way to `pollNow`. */
  const uninterrupted = <T>(answer: T | typeof NO_ANSWER | typeof INTERRUPTED): T | typeof NO_ANSWER =>
    answer === INTERRUPTED ? NO_ANSWER : answer;

  /** Takes in the cancel's answer; says what to do when it is final (UNIMPLEMENTED). */
  const applyCancelAnswer = (cancel: CancelAnswer): void => {
    state.cancelSent = true;
    if (cancel.result === 'accepted') state.cancelAccepted = true;
    // Sent again once the operation is visible, but only if it never was: a service whose cancel answers
    // NOT_FOUND for an operation GET can see would otherwise be asked again and again.
    else if (cancel.result === 'NOT_FOUND') state.resendCancel = state.lastOperation === undefined;
    else if (cancel.result === 'FAILED_PRECONDITION') state.notCancellable = true;
  };

  const loop = async (): Promise<AwaitOperationResult> => {
    /**
     * The last read found the operation running: in wait mode, the next one is a wait, with no timer before it (in a
     * run continued as new too).
     */
    let seenRunning = state.lastOperation?.done === false && state.notFoundSince === undefined;
    for (;;) {
      let got: GetAnswer | WaitAnswer | typeof NO_ANSWER | undefined;
      /** The service asked to wait this long before the next GET. */
      let retryDelayMs = 0;
      /** The last read was a wait that answered at once: the schedule's timer comes before the next. */
      let answeredEarly = false;
      const deadlineWhenCalled = state.deadline;
      if (state.phase === 'cancelling' && !state.cancelSent) {
        const answer = uninterrupted(
          await attempt((a) => a.cancelAndGet(refInput), {
            calls: 2,
            sendsCancel: true,
            summary: CANCEL_ACTIVITY_SUMMARY,
          }),
        );
        if (answer === NO_ANSWER) {
          got = NO_ANSWER;
        } else {
          const { cancel } = answer;
          if (answer.principal) state.principal = answer.principal;
          applyCancelAnswer(cancel);
          if (cancel.result === 'UNIMPLEMENTED') return finish('UNIMPLEMENTED', answerError(12, cancel));
          got = answer.get;
          if (answer.getFailed) {
            const { code, message, retryDelayMs: delay } = answer.getFailed;
            state.lastError = {
              code: isRpcCodeName(code) ? RpcCode[code] : RpcCode.UNKNOWN,
              status: code,
              message: message ?? code,
            };
            retryDelayMs = delay ?? 0;
          }
        }
      } else if (seenRunning && waiting() && !getNext && state.deadline - now() >= MIN_WAIT_MS) {
        const timeoutMs = Math.min(state.deadline - now(), WAIT_CALL_MAX_MS);
        const calledAt = now();
        waitingUntil = calledAt + timeoutMs;
        const answer = await attempt((a) => a.waitOperation({ ...refInput, timeoutMs }), {
          calls: 1,
          waits: true,
          summary: waitActivitySummary(state.polls + 1, timeoutMs),
        }).finally(() => (waitingUntil = undefined));
        if (answer === INTERRUPTED) {
          getNext = true;
          pollNow = false;
          continue;
        }
        if (answer !== NO_ANSWER && answer.waitUnsupported) {
          state.waitUnsupported = true;
          log.info('the service does not support WaitOperation: polling with GetOperation', { service: ref.service });
        }
        answeredEarly = answer !== NO_ANSWER && !answer.waitUnsupported && now() - calledAt < EARLY_WAIT_ANSWER_MS;
        got = answer;
      } else {
        getNext = false;
        got = uninterrupted(
          await attempt((a) => a.getOperation(refInput), {
            calls: 1,
            summary: pollActivitySummary(state.polls + 1),
          }),
        );
      }

      // The retries ran out at the old deadline, but an operator moved it: try again.
      if (got === NO_ANSWER && !giveUp && state.deadline > deadlineWhenCalled) continue;

      if (got !== NO_ANSWER) seenRunning = got?.found === true && !got.operation.done;
      if (got !== NO_ANSWER && got !== undefined) {
        if (got.principal) state.principal = got.principal;
        state.polls++;
        pollsThisRun++;
        delete state.lastError;
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
          // FAILED_PRECONDITION on a cancel also means "a cancel is already under way" (ours, or someone's).
          if (state.notCancellable) {
            if (got.operation.metadata?.cancelRequested !== true && !state.cancelAccepted) {
              return finish('NOT_CANCELLABLE');
            }
            state.notCancellable = false;
          }
          // Not after an operator gave up: the resend would be a new cancel request.
          if (state.resendCancel && !giveUp) {
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

      // In wait mode the next read is a wait, which is itself the pause: no timer before it, unless the last read
      // failed, found no operation yet, or answered at once.
      if (seenRunning && waiting() && retryDelayMs === 0 && !answeredEarly && state.deadline - now() >= MIN_WAIT_MS) {
        getNext = pollNow;
        pollNow = false;
        continue;
      }

      const backoff = Math.max(pollDelay(settings.schedule, state.attempt, Math.random()), retryDelayMs);
      const delay = Math.min(backoff, state.deadline - now());
      state.attempt++;
      if (delay > 0) {
        nextPollAt = now() + delay;
        showDetails();
        await condition(() => pollNow || giveUp, delay, { summary: pollTimerSummary(delay) });
        nextPollAt = undefined;
      }
      getNext = pollNow;
      pollNow = false;
    }
  };

  // startCancel/startAwait record these with the start, and a run continued as new inherits them; a start from
  // the Web UI or a parent does not, and a run continued from a 0.1.0 run inherits the ERROR it wrongly recorded.
  if (workflowInfo().typedSearchAttributes.get(LRO_OUTCOME) !== 'PENDING') {
    upsertSearchAttributes(recordedPending(ref));
    upsertMemo({ summary: pendingSummary(settings.mode === 'await' ? 'awaiting' : 'cancelling', ref) });
  }

  try {
    return await loop();
  } catch (err) {
    // Continuing as new is how a long wait goes on, not an outcome: the next run records it.
    if (err instanceof ContinueAsNew) throw err;
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        const sent = await settleCancelInFlight();
        const note = CANCEL_REQUEST_NOTES[sent];
        record('ABANDONED', `${ref.url}: the canceller was cancelled after ${state.polls} poll(s); ${note}`);
        await notifyWaiters({ failure: { type: 'ABANDONED', message: `the canceller was cancelled; ${note}` } });
      });
      throw err;
    }
    const { failure, type, message } = terminalFailure(err);
    const actingAs = settings.impersonate ? ` (acting as ${settings.impersonate})` : '';
    record('ERROR', `${ref.url}${actingAs}: ${type}: ${message}`);
    await CancellationScope.nonCancellable(() => notifyWaiters({ failure: { type, message } }));
    throw failure;
  }

  /** Waits for a cancel request in flight to end, and says whether it went out. */
  async function settleCancelInFlight(): Promise<CancelRequestSent> {
    const inFlight = cancelInFlight;
    if (!inFlight) return cancelRequestSent();
    try {
      applyCancelAnswer((await inFlight).cancel);
      return 'yes';
    } catch (err) {
      // The activity says what it knows; without a word (cancelled between two attempts), an earlier attempt may
      // have reached the service.
      const progress = cancelProgressOf(err);
      if (progress?.cancel) applyCancelAnswer(progress.cancel);
      return progress?.cancelRequestSent ?? 'maybe';
    } finally {
      cancelInFlight = undefined;
    }
  }
}
