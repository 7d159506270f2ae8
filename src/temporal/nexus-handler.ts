/**
 * The handler of the package's Nexus service (`lroNexusService`): each operation starts the canceller of the
 * operation it names, or joins the one running, and its result is the canceller's. Register it on the worker that
 * runs the package's workflows (the plugin does).
 */
import * as nexus from 'nexus-rpc';
import { startWorkflow, WorkflowRunOperationHandler } from '@temporalio/nexus';
import { validateAwaitInput, validateCancelInput, type AwaitOperationInput } from '../domain/canceller-input';
import type { CancelOperationInput } from '../domain/canceller-input';
import { InvalidArgumentError } from '../domain/invalid-argument';
import { lroNexusService } from '../domain/nexus-service';
import type { AwaitOperationResult, CancelOperationResult } from '../domain/outcome';
import { awaitWorkflowId, cancelWorkflowId } from '../domain/workflow-id';
import type { awaitOperation, cancelOperation } from '../../workflows';
import { cancellerStartOptions } from './client';

/**
 * The service handler. Input is validated before anything starts (a bad one is the caller's `BAD_REQUEST`, naming
 * the field and the rule, and sends nothing); the canceller runs on the task queue of the worker that handles the
 * Nexus request, under its deterministic workflow ID, so two callers for one operation share one canceller.
 */
export const lroNexusServiceHandler = nexus.serviceHandler(lroNexusService, {
  cancelOperation: new WorkflowRunOperationHandler<CancelOperationInput, CancelOperationResult>(async (ctx, input) => {
    const { ref } = validated(() => validateCancelInput(input));
    return startWorkflow<typeof cancelOperation>(ctx, 'cancelOperation', {
      args: [input],
      ...cancellerStartOptions('cancelOperation', ref, cancelWorkflowId(input)),
    });
  }),
  awaitOperation: new WorkflowRunOperationHandler<AwaitOperationInput, AwaitOperationResult>(async (ctx, input) => {
    const { ref } = validated(() => validateAwaitInput(input));
    return startWorkflow<typeof awaitOperation>(ctx, 'awaitOperation', {
      args: [input],
      ...cancellerStartOptions('awaitOperation', ref, awaitWorkflowId(input)),
    });
  }),
});

function validated<T>(validate: () => T): T {
  try {
    return validate();
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new nexus.HandlerError('BAD_REQUEST', err.message);
    throw err;
  }
}
