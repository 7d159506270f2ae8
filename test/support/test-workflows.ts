/**
 * The package's workflows plus parents that run `cancelOperation` as a child, as users' parents do: the README's
 * example, and the hand-wired `executeChild` of release 0.1.0 (its recorded histories still replay).
 */
import { executeChild, ParentClosePolicy } from '@temporalio/workflow';
import type { CancelOperationInput } from '../../src/domain/canceller-input';
import type { CancelOperationResult } from '../../src/domain/outcome';
import { cancelOperation, cancelWorkflowId } from '../../workflows';

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
