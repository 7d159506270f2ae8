/** The package's workflows plus a parent that runs `cancelOperation` as a child, as users' parents do. */
import { executeChild, ParentClosePolicy } from '@temporalio/workflow';
import type { CancelOperationInput } from '../../src/canceller-input';
import type { CancelOperationResult } from '../../src/outcome';
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
