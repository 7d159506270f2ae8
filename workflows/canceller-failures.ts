/**
 * Reading what an activity's failure says: whether it ran out of time, the error to record, how far a cancel
 * got, and the failure a canceller ends with.
 */
import { ActivityFailure, ApplicationFailure, CancelledFailure, TimeoutFailure } from '@temporalio/workflow';
import type { CancelProgress } from '../src/domain/call-answers';
import type { OperationSummary } from '../src/domain/operation-summary';
import type { AwaitOperationResult, Outcome, ResultError } from '../src/domain/outcome';
import { isRpcCodeName, RpcCode } from '../src/domain/rpc-code';

/** Temporal stopped retrying because time ran out, or attempts did: for us, the service did not answer in time. */
export function ranOutOfTime(err: ActivityFailure): boolean {
  return (
    err.cause instanceof TimeoutFailure || err.retryState === 'TIMEOUT' || err.retryState === 'MAXIMUM_ATTEMPTS_REACHED'
  );
}

/** The error to record for a call that got no answer in time: its last failure's, else the timeout. */
export function describeFailure(cause: Error | undefined): ResultError {
  const failure = cause instanceof TimeoutFailure && cause.cause ? cause.cause : cause;
  if (failure instanceof ApplicationFailure && failure.type && isRpcCodeName(failure.type)) {
    return { code: RpcCode[failure.type], status: failure.type, message: failure.message };
  }
  const message =
    failure instanceof TimeoutFailure
      ? `no answer (${failure.timeoutType} timeout)`
      : (failure?.message ?? 'no answer');
  return { code: RpcCode.DEADLINE_EXCEEDED, status: 'DEADLINE_EXCEEDED', message };
}

/**
 * How far a `cancelAndGet` got, from what its failure carries: the details of its cancellation, or the last
 * heartbeat of an attempt that timed out. Undefined when it says nothing.
 */
export function cancelProgressOf(err: unknown): CancelProgress | undefined {
  if (!(err instanceof ActivityFailure)) return undefined;
  const details =
    err.cause instanceof CancelledFailure
      ? err.cause.details
      : err.cause instanceof TimeoutFailure
        ? [err.cause.lastHeartbeatDetails]
        : [];
  const first = details[0] as Partial<CancelProgress> | undefined;
  const sent = first?.cancelRequestSent;
  return sent === 'yes' || sent === 'no' || sent === 'maybe' ? (first as CancelProgress) : undefined;
}

/**
 * The failure a canceller ends with for an error it cannot go on from: an activity's failure becomes the
 * non-retryable `ApplicationFailure` of its type (`PERMISSION_DENIED`, `DATA_LOSS`…), so a parent that started
 * the canceller and one that joined it see the same type and details.
 */
export function terminalFailure(err: unknown): { failure: unknown; type: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const type = cause instanceof ApplicationFailure ? (cause.type ?? 'UNKNOWN') : 'UNKNOWN';
  const message = cause instanceof Error ? cause.message : String(cause);
  if (!(err instanceof ActivityFailure)) return { failure: err, type, message };
  const details = cause instanceof ApplicationFailure ? (cause.details ?? []) : [];
  return {
    failure: ApplicationFailure.create({ type, message, nonRetryable: true, details: [...details], cause: err }),
    type,
    message,
  };
}

/** The outcome of an operation that is done. */
export function outcomeOf(operation: OperationSummary): Outcome {
  switch (operation.state) {
    case 'cancelled':
      return 'CANCELLED';
    case 'failed':
      return 'FAILED';
    default:
      return 'COMPLETED';
  }
}

/** The service's answer to a cancel, as a result's error. */
export function answerError(code: number, answer: { result: string; message: string }): ResultError {
  return { code, status: answer.result, message: answer.message };
}

/** The result `cancelOperation` returns: an await's, without `timedOut`. */
export function withoutTimedOut(result: AwaitOperationResult): Omit<AwaitOperationResult, 'timedOut'> {
  const { timedOut: _timedOut, ...rest } = result;
  return rest;
}
