/**
 * Starting cancellers from client code: one canceller per operation, joined rather than duplicated.
 */
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { awaitOperation, cancelOperation } from '../../workflows';
import {
  validateAwaitInput,
  validateCancelInput,
  type AwaitOperationInput,
  type CancelOperationInput,
} from '../domain/canceller-input';
import type { OperationRef } from '../domain/operation-ref';
import { pendingSearchAttributes, pendingSummary } from '../domain/search-attributes';
import { startSummary } from '../domain/web-ui';
import { awaitWorkflowId, cancelWorkflowId } from '../domain/workflow-id';
import { DEFAULT_TASK_QUEUE } from '../domain/task-queue';

/** Where to start a canceller. */
export interface StartOptions {
  /** @default "gcp-lro" */
  taskQueue?: string;
  /** @default derived from the operation ({@link cancelWorkflowId} / {@link awaitWorkflowId}) */
  workflowId?: string;
}

/**
 * Starts `cancelOperation` for an operation, or joins the one already running for it (the workflow ID is
 * derived from the canonical operation URL, and the conflict policy is `USE_EXISTING`). Throws
 * `InvalidArgumentError` for bad input before contacting the server.
 */
export function startCancel(
  client: Client,
  input: CancelOperationInput,
  options: StartOptions = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof cancelOperation>> {
  const { ref } = validateCancelInput(input);
  const workflowId = options.workflowId ?? cancelWorkflowId(input);
  return startOne<typeof cancelOperation>(client, 'cancelOperation', input, ref, workflowId, options);
}

/** Starts `awaitOperation` for an operation, or joins the one already running for it. */
export function startAwait(
  client: Client,
  input: AwaitOperationInput,
  options: StartOptions = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof awaitOperation>> {
  const { ref } = validateAwaitInput(input);
  const workflowId = options.workflowId ?? awaitWorkflowId(input);
  return startOne<typeof awaitOperation>(client, 'awaitOperation', input, ref, workflowId, options);
}

function startOne<W extends typeof cancelOperation | typeof awaitOperation>(
  client: Client,
  workflowType: 'cancelOperation' | 'awaitOperation',
  input: Parameters<W>[0],
  ref: OperationRef,
  workflowId: string,
  options: StartOptions,
): Promise<WorkflowHandleWithFirstExecutionRunId<W>> {
  return client.workflow.start<W>(workflowType, {
    args: [input] as unknown as Parameters<W>,
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    ...cancellerStartOptions(workflowType, ref, workflowId),
  });
}

/**
 * What every start of a canceller carries, from a client, the CLI or the Nexus service: its workflow ID and the
 * `USE_EXISTING` conflict policy (one canceller per operation), the pending search attributes and memo (recorded
 * with the start, so the workflow need not spend history events upserting them), and the Web UI's summary.
 */
export function cancellerStartOptions(
  workflowType: 'cancelOperation' | 'awaitOperation',
  ref: OperationRef,
  workflowId: string,
) {
  return {
    workflowId,
    workflowIdConflictPolicy: 'USE_EXISTING' as const,
    typedSearchAttributes: pendingSearchAttributes(ref),
    memo: { summary: pendingSummary(workflowType === 'cancelOperation' ? 'cancelling' : 'awaiting', ref) },
    staticSummary: startSummary(workflowType, ref),
  };
}
