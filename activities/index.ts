/**
 * The activities, from a factory that takes their dependencies. Each makes one attempt and classifies the
 * answer: values for what the workflow acts on, `ApplicationFailure` (type = google.rpc code name) for
 * faults, retryable or not by the one table in `src/rpc-code.ts`.
 */
import { ApplicationFailure, CancelledFailure, Context, log, type Info } from '@temporalio/activity';
import type { CancellerFinished } from '../src/domain/canceller-api';
import type {
  CancelAndGetAnswer,
  CancelAnswer,
  CancelProgress,
  CancelRequestSent,
  GetAnswer,
  OperationCall,
  WaitAnswer,
  WaitCall,
} from '../src/domain/call-answers';
import { WAIT_ANSWER_MARGIN_MS } from '../src/domain/canceller-input';
import { countGoogleApiError } from '../src/domain/metrics';
import { GoogleCallFailure, OperationsClient, type OperationsClientOptions } from '../src/google/operations-client';
import { isRetryable } from '../src/domain/rpc-code';
import { createBulkActivities } from './bulk';

/** What the activities need: credentials, the shared dispatcher, the host allowlist, a clock. */
export type ActivityDeps = OperationsClientOptions;

/**
 * While a call takes longer than this, the activity heartbeats: a cancel from the workflow then reaches it (and
 * aborts the call), and a worker that died mid-call is noticed at the heartbeat timeout, not the call's.
 */
export const HEARTBEAT_EVERY_MS = 1_000;

/** Creates the activities. The worker passes real dependencies; tests pass real ones aimed at the emulator. */
export function createActivities(deps: ActivityDeps) {
  const client = new OperationsClient(deps);
  /** Who acted, for the answer: the account named, or the worker's own identity. */
  const actedAs = async (input: OperationCall): Promise<{ principal?: string }> => {
    const principal = await client.principal(input);
    return principal === undefined ? {} : { principal };
  };
  const requestCancel = async (input: OperationCall): Promise<CancelAnswer> => {
    const answer = await classifyFailures('cancel', () => client.cancel(input, Context.current().cancellationSignal));
    if (answer.result !== 'accepted') countGoogleApiError(Context.current().metricMeter, 'cancel', answer.result);
    log.info('cancel answered', { operation: input.operation, result: answer.result });
    return answer;
  };
  const get = async (input: OperationCall): Promise<GetAnswer> => {
    const answer = await client.get(input, Context.current().cancellationSignal);
    if (!answer.found) countGoogleApiError(Context.current().metricMeter, 'get', 'NOT_FOUND');
    return { ...answer, ...(await actedAs(input)) };
  };
  /**
   * Services (`ref.service`) that answered WaitOperation with UNIMPLEMENTED, for the life of this worker: their
   * operations are read with a GET, with no `:wait` request first.
   */
  const waitUnsupported = new Set<string>();
  const wait = async ({ timeoutMs, ...input }: WaitCall): Promise<WaitAnswer> => {
    const { service } = client.resolve(input);
    if (!waitUnsupported.has(service)) {
      const context = Context.current();
      const answer = await client.wait(input, boundedWait(timeoutMs, context.info), context.cancellationSignal);
      if (!('unimplemented' in answer)) {
        if (!answer.found) countGoogleApiError(context.metricMeter, 'get', 'NOT_FOUND');
        return { ...answer, ...(await actedAs(input)) };
      }
      waitUnsupported.add(service);
      log.info('WaitOperation is not supported: reading with GetOperation from now on', {
        service,
        message: answer.message,
      });
    }
    return { ...(await get(input)), waitUnsupported: true };
  };
  return {
    ...createBulkActivities(client),
    /** `POST {name}:cancel`. UNIMPLEMENTED, NOT_FOUND and FAILED_PRECONDITION are answers, not failures. */
    async requestCancel(input: OperationCall): Promise<CancelAnswer> {
      return whileHeartbeating(() => requestCancel(input));
    },
    /** `GET {name}`: a bounded summary of the operation, or "not found". */
    async getOperation(input: OperationCall): Promise<GetAnswer> {
      return whileHeartbeating(() => classifyFailures('get', () => get(input)));
    },
    /**
     * `POST {name}:wait` (WaitOperation): the operation once it is done, or as it stands after `timeoutMs` (the
     * service may answer sooner), as {@link getOperation} answers it, failures classified the same way. A service
     * that does not support it (UNIMPLEMENTED, or a bare 404 for the unknown method) is remembered by this worker:
     * its operations are read with `GET {name}` instead, at once and from then on, and the answer says so
     * (`waitUnsupported`). Heartbeats while it waits; a cancel from the workflow aborts the wait.
     */
    async waitOperation(input: WaitCall): Promise<WaitAnswer> {
      return whileHeartbeating(() => classifyFailures('get', () => wait(input)));
    },
    /**
     * `POST {name}:cancel`, then at once `GET {name}` (unless the cancel answered UNIMPLEMENTED): the first
     * poll rides in the cancel's activity, so a cancel confirmed at once costs one activity, not two. A GET
     * that fails retryably is answered (`getFailed`), not thrown, so it never makes Temporal retry the cancel:
     * the workflow polls again after its backoff or the delay Google asked for. A GET that fails for good
     * (PERMISSION_DENIED…) is thrown as non-retryable, which Temporal does not retry either.
     *
     * Cancelled by the workflow, it fails with a `CancelledFailure` whose details (a {@link CancelProgress}) say
     * whether the cancel request went out, and its answer if it came; a slow call's heartbeats carry the same.
     */
    async cancelAndGet(input: OperationCall): Promise<CancelAndGetAnswer> {
      const signal = Context.current().cancellationSignal;
      let sent: CancelRequestSent = 'no';
      let answered: CancelAnswer | undefined;
      // What a slow call's heartbeats carry: a workflow whose activity then times out still learns the cancel's answer.
      const progress = (): CancelProgress => ({ cancelRequestSent: sent, ...(answered ? { cancel: answered } : {}) });
      try {
        return await whileHeartbeating(async () => {
          if (signal.aborted) throw new CancelledFailure('cancelled before the cancel request was sent');
          sent = 'maybe';
          const cancel = await requestCancel(input);
          sent = 'yes';
          answered = cancel;
          if (cancel.result === 'UNIMPLEMENTED') return { cancel, ...(await actedAs(input)) };
          try {
            return { cancel, get: await get(input), ...(await actedAs(input)) };
          } catch (err) {
            if (!(err instanceof GoogleCallFailure)) throw err;
            const failure = googleFailure('get', err);
            if (failure.nonRetryable) throw failure;
            const { code, message, retryDelayMs } = err.error;
            log.warn('GET after the cancel failed; polling again later', { operation: input.operation, code });
            return {
              cancel,
              getFailed: { code, message, ...(retryDelayMs === undefined ? {} : { retryDelayMs }) },
              ...(await actedAs(input)),
            };
          }
        }, progress);
      } catch (err) {
        if (!signal.aborted) throw err;
        throw new CancelledFailure(`cancelled; the cancel request was sent: ${sent}`, [progress()]);
      }
    },
    /**
     * How a canceller that has ended ended: its result, or its failure's type (`PERMISSION_DENIED`…, `ABANDONED`,
     * `TERMINATED`, `TIMED_OUT`). A parent that found the operation's canceller closed reads it here instead of
     * starting another (and sending another cancel). `running: true` when it is running after all.
     */
    async cancellerOutcome(workflowId: string): Promise<CancellerFinished & { running?: true }> {
      const handle = Context.current().client.workflow.getHandle(workflowId);
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') return { workflowId, running: true };
      try {
        return { workflowId, result: await handle.result() };
      } catch (err) {
        return { workflowId, failure: failureOfWorkflow(err, status.name) };
      }
    },
  };
}

/** The type and message of a closed workflow's failure, as the parent helpers report it. */
function failureOfWorkflow(err: unknown, status: string): { type: string; message: string } {
  const cause = (err as { cause?: unknown }).cause;
  const message = cause instanceof Error ? cause.message : String(err);
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? 'UNKNOWN', message };
  const byStatus: Record<string, string> = { CANCELLED: 'ABANDONED', TERMINATED: 'TERMINATED', TIMED_OUT: 'TIMED_OUT' };
  return { type: byStatus[status] ?? 'UNKNOWN', message };
}

/** The activities' interface, for `proxyActivities<Activities>()`. */
export type Activities = ReturnType<typeof createActivities>;

/**
 * The wait to ask of the service: `timeoutMs`, cut so that the answer is back before the activity's schedule-to-close
 * time (a retry late in the phase waits only until its deadline).
 */
function boundedWait(timeoutMs: number, info: Info): number {
  if (!info.scheduleToCloseTimeoutMs) return timeoutMs;
  const left = info.scheduledTimestampMs + info.scheduleToCloseTimeoutMs - WAIT_ANSWER_MARGIN_MS - Date.now();
  return Math.max(0, Math.min(timeoutMs, left));
}

async function whileHeartbeating<T>(work: () => Promise<T>, details?: () => unknown): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(details?.()), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

async function classifyFailures<T>(method: 'cancel' | 'get', call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof GoogleCallFailure) throw googleFailure(method, err);
    throw err;
  }
}

/** Counts a Google error and turns it into the `ApplicationFailure` Temporal retries, or not, by its code. */
function googleFailure(method: 'cancel' | 'get', err: GoogleCallFailure): ApplicationFailure {
  const { code, message, httpStatus, retryDelayMs, reason } = err.error;
  countGoogleApiError(Context.current().metricMeter, method, code);
  return ApplicationFailure.create({
    type: code,
    message,
    nonRetryable: !isRetryable(code),
    details: [{ httpStatus, ...(reason === undefined ? {} : { reason }) }],
    ...(retryDelayMs === undefined ? {} : { nextRetryDelay: retryDelayMs }),
  });
}
