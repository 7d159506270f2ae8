/**
 * Starting cancellers from client code: one canceller per operation, joined rather than duplicated.
 */
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { awaitOperation, cancelOperation } from '../workflows';
import { validateAwaitInput, validateCancelInput, type AwaitOperationInput, type CancelOperationInput } from './canceller-input';
import { awaitWorkflowId, cancelWorkflowId } from './workflow-id';
import { DEFAULT_TASK_QUEUE } from './task-queue';

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
  validateCancelInput(input);
  return client.workflow.start<typeof cancelOperation>('cancelOperation', {
    args: [input],
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId: options.workflowId ?? cancelWorkflowId(input),
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

/** Starts `awaitOperation` for an operation, or joins the one already running for it. */
export function startAwait(
  client: Client,
  input: AwaitOperationInput,
  options: StartOptions = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof awaitOperation>> {
  validateAwaitInput(input);
  return client.workflow.start<typeof awaitOperation>('awaitOperation', {
    args: [input],
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowId: options.workflowId ?? awaitWorkflowId(input),
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}
