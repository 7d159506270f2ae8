/**
 * Running a canceller from a parent workflow, joined rather than duplicated.
 *
 * A child workflow has no ID-conflict policy: a second parent (or a retried one) that starts the canceller an
 * operation already has gets `WorkflowExecutionAlreadyStartedError`. These helpers start the canceller as a child
 * under its deterministic workflow ID; when one is already running (started from the CLI, a client, the Web UI or
 * another parent) they send it `join` and wait for the `cancellerFinished` signal it sends every workflow that
 * joined; when it has already ended with an outcome, they read that outcome. So every parent gets the one
 * canceller's result, and the operation gets one cancel request.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  condition,
  executeChild,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  TerminatedFailure,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { cancellerFinishedSignal, joinSignal, type CancellerFinished } from '../src/domain/canceller-api';
import {
  validateAwaitInput,
  validateCancelInput,
  type AwaitOperationInput,
  type CancelOperationInput,
} from '../src/domain/canceller-input';
import type { OperationRef } from '../src/domain/operation-ref';
import type { AwaitOperationResult, CancelOperationResult } from '../src/domain/outcome';
import { CANCELLER_OUTCOME_SUMMARY, joinedTimerSummary, startSummary } from '../src/domain/web-ui';
import { awaitWorkflowId, cancelWorkflowId } from './bounded-ids';
import type { awaitOperation } from './await-operation';
import type { cancelOperation } from './cancel-operation';

/** Where the canceller runs. */
export interface CancellerChildOptions {
  /**
   * The task queue of a worker that runs the package's workflows and activities.
   * @default the parent's task queue
   */
  taskQueue?: string;
}

/**
 * A joined canceller that ends without telling its waiters (terminated, reset) is noticed within this: the first
 * check comes after a minute, then the interval doubles up to an hour, so a long wait costs a few events an hour.
 */
const FIRST_RECHECK_MS = 60_000;
const MAX_RECHECK_MS = 3_600_000;
/** Starts tried before giving up, when each canceller found ends before it can be joined. */
const MAX_ROUNDS = 5;

/**
 * Runs `cancelOperation` for an operation and returns its result: starts it as a child (workflow ID
 * `cancelWorkflowId(input)`), joins the canceller already running for that operation, or reads the outcome of the
 * one that already ended with one. The canceller belongs to nobody: cancelling or ending this parent leaves it
 * running (send it `giveUp` to stop it). After a canceller that failed (`ERROR`, `ABANDONED`, terminated), a new
 * one is started.
 *
 * Throws the `INVALID_ARGUMENT` failure for bad input, which fails this workflow (not its task). When the
 * canceller fails, throws an `ApplicationFailure` whose `type` is its failure's (`PERMISSION_DENIED`,
 * `INVALID_ARGUMENT`…), or `ABANDONED` when it was cancelled, `TERMINATED` when it was terminated.
 */
export async function executeCancelOperation(
  input: CancelOperationInput,
  options: CancellerChildOptions = {},
): Promise<CancelOperationResult> {
  const { ref } = validateCancelInput(input);
  return startOrJoin<typeof cancelOperation>('cancelOperation', ref, cancelWorkflowId(input), input, options);
}

/** As {@link executeCancelOperation}, for `awaitOperation` (workflow ID `awaitWorkflowId(input)`). */
export async function executeAwaitOperation(
  input: AwaitOperationInput,
  options: CancellerChildOptions = {},
): Promise<AwaitOperationResult> {
  const { ref } = validateAwaitInput(input);
  return startOrJoin<typeof awaitOperation>('awaitOperation', ref, awaitWorkflowId(input), input, options);
}

/**
 * Outcomes signalled to this run, by canceller workflow ID. Keyed by run too, so the state stays this run's even
 * where a worker shares modules between workflows (`preloadModules`).
 */
const finishedByRun = new Map<string, Map<string, CancellerFinished>>();

function finishedOutcomes(): Map<string, CancellerFinished> {
  const { runId } = workflowInfo();
  let finished = finishedByRun.get(runId);
  if (!finished) {
    const outcomes = new Map<string, CancellerFinished>();
    setHandler(cancellerFinishedSignal, (message) => void outcomes.set(message.workflowId, message));
    finishedByRun.set(runId, outcomes);
    finished = outcomes;
  }
  return finished;
}

async function startOrJoin<W extends typeof cancelOperation | typeof awaitOperation>(
  workflowType: 'cancelOperation' | 'awaitOperation',
  ref: OperationRef,
  workflowId: string,
  input: Parameters<W>[0],
  options: CancellerChildOptions,
): Promise<Awaited<ReturnType<W>>> {
  const finished = finishedOutcomes();
  const taskQueue = options.taskQueue === undefined ? {} : { taskQueue: options.taskQueue };
  for (let round = 1; ; round++) {
    // A previous run of this workflow may have joined already, and been told.
    const told = finished.get(workflowId);
    if (told) return outcomeOf(told) as Awaited<ReturnType<W>>;
    try {
      return (await executeChild<W>(workflowType, {
        args: [input] as unknown as Parameters<W>,
        workflowId,
        ...taskQueue,
        staticSummary: startSummary(workflowType, ref),
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // Other parents, or a person at the CLI, may be waiting for this canceller too.
        cancellationType: ChildWorkflowCancellationType.ABANDON,
        // One that ended with an outcome is read, not run again (which would send a second cancel); one that failed
        // may be started afresh.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      })) as Awaited<ReturnType<W>>;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw failureOf(err);
    }
    if (await joined(workflowId, finished))
      return outcomeOf(finished.get(workflowId) as CancellerFinished) as Awaited<ReturnType<W>>;
    // It is not running: it ended, with an outcome or not.
    const ended = await proxyActivities<Activities>({
      startToCloseTimeout: '1 minute',
      summary: CANCELLER_OUTCOME_SUMMARY,
      ...taskQueue,
    }).cancellerOutcome(workflowId);
    if (ended.result || (ended.failure && round >= MAX_ROUNDS)) return outcomeOf(ended) as Awaited<ReturnType<W>>;
    if (round >= MAX_ROUNDS) {
      throw ApplicationFailure.create({
        type: 'ABORTED',
        message: `the canceller ${workflowId} kept ending before it could be joined`,
        nonRetryable: true,
      });
    }
  }
}

/** Joins the running canceller and waits for its outcome; false when it is not running. */
async function joined(workflowId: string, finished: Map<string, CancellerFinished>): Promise<boolean> {
  for (let recheckMs = FIRST_RECHECK_MS; ; recheckMs = Math.min(recheckMs * 2, MAX_RECHECK_MS)) {
    try {
      await getExternalWorkflowHandle(workflowId).signal(joinSignal, { workflowId: workflowInfo().workflowId });
    } catch {
      return finished.has(workflowId);
    }
    if (await condition(() => finished.has(workflowId), recheckMs, { summary: joinedTimerSummary(recheckMs) })) {
      return true;
    }
  }
}

function outcomeOf(message: CancellerFinished): CancelOperationResult | AwaitOperationResult {
  if (message.result) return message.result;
  const failure = message.failure ?? { type: 'UNKNOWN', message: 'the canceller ended without an outcome' };
  throw ApplicationFailure.create({ type: failure.type, message: failure.message, nonRetryable: true });
}

/** The child's failure as the same `ApplicationFailure` a joined canceller's failure gives. */
function failureOf(err: unknown): unknown {
  if (!(err instanceof ChildWorkflowFailure)) return err;
  // The canceller fails with an ApplicationFailure of the Google code; find it wherever it sits in the chain.
  let cause: unknown = err.cause;
  while (cause instanceof ActivityFailure || (cause instanceof ApplicationFailure && cause.cause && !cause.type)) {
    cause = cause.cause;
  }
  if (cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      type: cause.type ?? 'UNKNOWN',
      message: cause.message,
      nonRetryable: true,
      details: [...(cause.details ?? [])],
      cause: err,
    });
  }
  const type =
    cause instanceof CancelledFailure
      ? 'ABANDONED'
      : cause instanceof TerminatedFailure
        ? 'TERMINATED'
        : cause instanceof TimeoutFailure
          ? 'TIMED_OUT'
          : 'UNKNOWN';
  const message = cause instanceof Error ? cause.message : err.message;
  return ApplicationFailure.create({ type, message, nonRetryable: true, cause: err });
}
