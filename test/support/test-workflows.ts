/**
 * The package's workflows plus parents that run `cancelOperation` as a child, as users' parents do: the README's
 * example, and the hand-wired `executeChild` of release 0.1.0 (its recorded histories still replay); and Nexus
 * callers: the README's, and one acting as an account.
 */
import { createNexusServiceClient, executeChild, ParentClosePolicy } from '@temporalio/workflow';
import type { CancelOperationInput } from '../../src/domain/canceller-input';
import type { CancelOperationResult } from '../../src/domain/outcome';
import { cancelOperation, cancelWorkflowId, lroNexusService } from '../../workflows';

export * from '../../workflows';

/** A parent that cancels an operation as a child and returns the child's result. */
export async function parentCancels(input: CancelOperationInput): Promise<CancelOperationResult> {
  return executeChild(cancelOperation, {
    args: [input],
    workflowId: cancelWorkflowId(input),
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
}

export { teardown } from '../../examples/parent-workflow';
export { cancelThroughNexus } from '../../examples/nexus-caller-workflow';

/** A Nexus caller that names the account the canceller acts as, and returns the whole result. */
export async function cancelThroughNexusAs(operation: string, impersonate: string): Promise<CancelOperationResult> {
  const lro = createNexusServiceClient({ service: lroNexusService, endpoint: 'gcp-lro' });
  return lro.executeOperation('cancelOperation', { operation, impersonate }, { scheduleToCloseTimeout: '5m' });
}
