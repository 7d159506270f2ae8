/**
 * The handler of the package's Nexus service (`lroNexusService`): each operation starts the canceller of the
 * operation it names, joins the one running, or answers with the outcome of the one that already ended; its result
 * is the canceller's. Register it on the worker that runs the package's workflows (the plugin does).
 */
import * as nexus from 'nexus-rpc';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import {
  getClient,
  TemporalOperationHandler,
  TemporalOperationResult,
  type TemporalNexusClient,
  type TemporalCancelOperationContext,
  type CancelWorkflowRunOptions,
} from '@temporalio/nexus';
import { statusQuery } from '../domain/canceller-api';
import {
  validateAwaitInput,
  validateCancelInput,
  type AwaitOperationInput,
  type CancelOperationInput,
} from '../domain/canceller-input';
import { InvalidArgumentError } from '../domain/invalid-argument';
import { lroNexusService } from '../domain/nexus-service';
import type { OperationRef } from '../domain/operation-ref';
import type { AwaitOperationResult, CancelOperationResult } from '../domain/outcome';
import { awaitWorkflowId, cancelWorkflowId } from '../domain/workflow-id';
import { cancellerStartOptions } from './client';

/** How long a Nexus cancel waits for a canceller to say who else waits for it. */
const STATUS_QUERY_TIMEOUT_MS = 5_000;

/**
 * The service handler. Input is validated before anything starts (a bad one is the caller's `BAD_REQUEST`, naming
 * the field and the rule, and sends nothing). The canceller runs on the task queue of the worker that handles the
 * Nexus request, under its deterministic workflow ID: a caller joins the canceller already running for the operation
 * (one cancel request for all), and a caller that comes after it ended with an outcome gets that outcome at once,
 * as the parent helpers do (`ALLOW_DUPLICATE_FAILED_ONLY`). A caller's cancel cancels the canceller only when that
 * caller is the only one it serves (see {@link cancelUnlessShared}).
 */
export const lroNexusServiceHandler = nexus.serviceHandler(lroNexusService, {
  cancelOperation: new TemporalOperationHandler<CancelOperationInput, CancelOperationResult>({
    start: async (_ctx, temporal, input) => {
      const { ref } = validated(() => validateCancelInput(input));
      return startOrRead<CancelOperationResult>(temporal, 'cancelOperation', input, ref, cancelWorkflowId(input));
    },
    cancelWorkflowRun: cancelUnlessShared,
  }),
  awaitOperation: new TemporalOperationHandler<AwaitOperationInput, AwaitOperationResult>({
    start: async (_ctx, temporal, input) => {
      const { ref } = validated(() => validateAwaitInput(input));
      return startOrRead<AwaitOperationResult>(temporal, 'awaitOperation', input, ref, awaitWorkflowId(input));
    },
    cancelWorkflowRun: cancelUnlessShared,
  }),
});

async function startOrRead<R>(
  temporal: TemporalNexusClient,
  workflowType: 'cancelOperation' | 'awaitOperation',
  input: CancelOperationInput | AwaitOperationInput,
  ref: OperationRef,
  workflowId: string,
): Promise<TemporalOperationResult<R>> {
  try {
    return (await temporal.startWorkflow(workflowType, {
      args: [input],
      ...cancellerStartOptions(workflowType, ref, workflowId),
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    })) as TemporalOperationResult<R>;
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // It ended with an outcome: that outcome is the answer, and a second cancel request would prove nothing more.
    return TemporalOperationResult.sync((await temporal.client.workflow.getHandle(workflowId).result()) as R);
  }
}

/**
 * Cancels the canceller for a caller that cancelled its Nexus operation, unless others depend on it: another
 * caller's completion callback, a request that started or joined it without one (a client, the CLI), a parent
 * workflow, or workflows that joined it (`join`). A shared canceller goes on; the caller that cancelled receives its
 * outcome when it ends (with the caller's default `WAIT_CANCELLATION_COMPLETED`) or stops waiting at once.
 */
export async function cancelUnlessShared(
  _ctx: TemporalCancelOperationContext,
  { workflowId }: CancelWorkflowRunOptions,
): Promise<void> {
  const client = getClient();
  if (await isShared(client, workflowId)) return;
  await client.workflow.getHandle(workflowId).cancel();
}

async function isShared(client: Client, workflowId: string): Promise<boolean> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  if (description.status.name !== 'RUNNING') return true;
  const callbacks = description.raw.callbacks?.length ?? 0;
  const requests = Object.keys(description.raw.workflowExtendedInfo?.requestIdInfos ?? {}).length;
  if (callbacks > 1 || requests > callbacks || description.raw.workflowExecutionInfo?.parentExecution) return true;
  const status = await Promise.race([
    handle.query(statusQuery),
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), STATUS_QUERY_TIMEOUT_MS).unref()),
  ]).catch(() => undefined);
  // Not knowing who else waits is not a reason to leave them without an outcome.
  return status === undefined || (status.waiters ?? 0) > 0;
}

function validated<T>(validate: () => T): T {
  try {
    return validate();
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new nexus.HandlerError('BAD_REQUEST', err.message);
    throw err;
  }
}
