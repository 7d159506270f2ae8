/**
 * Running a canceller from a parent workflow, joined rather than duplicated.
 *
 * A child workflow has no ID-conflict policy: a second parent (or a retried one) that starts the canceller an
 * operation already has gets `WorkflowExecutionAlreadyStartedError`. These helpers start the canceller as a child
 * under its deterministic workflow ID; when one is already running (started from the CLI, a client, the Web UI or
 * another parent) they send it `join` and wait for the `cancellerFinished` signal it sends every workflow that
 * joined. So every parent gets the one canceller's result, and the operation gets one cancel request.
 */
import {
  ApplicationFailure,
  ChildWorkflowFailure,
  CancelledFailure,
  condition,
  executeChild,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  setHandler,
  TerminatedFailure,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { cancellerFinishedSignal, joinSignal, type CancellerFinished } from '../src/domain/canceller-api';
import {
  validateAwaitInput,
  validateCancelInput,
  type AwaitOperationInput,
  type CancelOperationInput,
} from '../src/domain/canceller-input';
import type { AwaitOperationResult, CancelOperationResult } from '../src/domain/outcome';
import { awaitWorkflowId, cancelWorkflowId } from '../src/domain/workflow-id';
import type { awaitOperation } from './await-operation';
import type { cancelOperation } from './cancel-operation';

/** Where the canceller runs. */
export interface CancellerChildOptions {
  /** The task queue of a worker that runs the package's workflows. @default the parent's task queue */
  taskQueue?: string;
}

/** A joined canceller that ended without telling us (terminated, reset) is noticed within this. */
const RECHECK_INTERVAL = '1 hour';
/** Starts tried before giving up, when each canceller found ends before it can be joined. */
const MAX_ROUNDS = 5;

/**
 * Runs `cancelOperation` for an operation and returns its result: starts it as a child (workflow ID
 * `cancelWorkflowId(input)`, `ParentClosePolicy.ABANDON` so the cancel finishes even if this parent ends first),
 * or joins the canceller already running for that operation.
 *
 * Throws the `INVALID_ARGUMENT` failure for bad input, which fails this workflow (not its task). When the
 * canceller fails, throws an `ApplicationFailure` whose `type` is its failure's (`PERMISSION_DENIED`,
 * `INVALID_ARGUMENT`…), or `ABANDONED` when it was cancelled, `TERMINATED` when it was terminated.
 */
export async function executeCancelOperation(
  input: CancelOperationInput,
  options: CancellerChildOptions = {},
): Promise<CancelOperationResult> {
  validateCancelInput(input);
  return startOrJoin<typeof cancelOperation>('cancelOperation', cancelWorkflowId(input), input, options);
}

/** As {@link executeCancelOperation}, for `awaitOperation` (workflow ID `awaitWorkflowId(input)`). */
export async function executeAwaitOperation(
  input: AwaitOperationInput,
  options: CancellerChildOptions = {},
): Promise<AwaitOperationResult> {
  validateAwaitInput(input);
  return startOrJoin<typeof awaitOperation>('awaitOperation', awaitWorkflowId(input), input, options);
}

/** Outcomes signalled to this workflow, by canceller workflow ID (module state is per workflow execution). */
const finished = new Map<string, CancellerFinished>();
let listening = false;

async function startOrJoin<W extends typeof cancelOperation | typeof awaitOperation>(
  workflowType: 'cancelOperation' | 'awaitOperation',
  workflowId: string,
  input: Parameters<W>[0],
  options: CancellerChildOptions,
): Promise<Awaited<ReturnType<W>>> {
  if (!listening) {
    setHandler(cancellerFinishedSignal, (message) => void finished.set(message.workflowId, message));
    listening = true;
  }
  for (let round = 1; ; round++) {
    // A previous run of this workflow may have joined already, and been told.
    const told = finished.get(workflowId);
    if (told) return resultOf(told) as Awaited<ReturnType<W>>;
    try {
      return (await executeChild<W>(workflowType, {
        args: [input] as unknown as Parameters<W>,
        workflowId,
        parentClosePolicy: ParentClosePolicy.ABANDON,
        ...(options.taskQueue === undefined ? {} : { taskQueue: options.taskQueue }),
      })) as Awaited<ReturnType<W>>;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw failureOf(err);
    }
    if (await joined(workflowId))
      return resultOf(finished.get(workflowId) as CancellerFinished) as Awaited<ReturnType<W>>;
    // It ended between our start and our join, without telling us: start again.
    if (round >= MAX_ROUNDS) {
      throw ApplicationFailure.create({
        type: 'ABORTED',
        message: `the canceller ${workflowId} kept ending before it could be joined`,
        nonRetryable: true,
      });
    }
  }
}

/** Joins the running canceller and waits for its outcome; false when it is no longer running. */
async function joined(workflowId: string): Promise<boolean> {
  for (;;) {
    try {
      await getExternalWorkflowHandle(workflowId).signal(joinSignal, { workflowId: workflowInfo().workflowId });
    } catch {
      return finished.has(workflowId);
    }
    if (await condition(() => finished.has(workflowId), RECHECK_INTERVAL)) return true;
  }
}

function resultOf(message: CancellerFinished): CancelOperationResult | AwaitOperationResult {
  if (message.result) return message.result;
  const failure = message.failure ?? { type: 'UNKNOWN', message: 'the canceller ended without an outcome' };
  throw ApplicationFailure.create({ type: failure.type, message: failure.message, nonRetryable: true });
}

/** The child's failure as the same `ApplicationFailure` a joined canceller's failure gives. */
function failureOf(err: unknown): unknown {
  if (!(err instanceof ChildWorkflowFailure)) return err;
  const cause = err.cause;
  const type =
    cause instanceof ApplicationFailure
      ? (cause.type ?? 'UNKNOWN')
      : cause instanceof CancelledFailure
        ? 'ABANDONED'
        : cause instanceof TerminatedFailure
          ? 'TERMINATED'
          : cause instanceof TimeoutFailure
            ? 'DEADLINE_EXCEEDED'
            : 'UNKNOWN';
  return ApplicationFailure.create({ type, message: cause?.message ?? err.message, nonRetryable: true, cause: err });
}
