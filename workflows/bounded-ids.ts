/**
 * Workflow IDs and `LroOperation` values bounded to 255 characters (`src/domain/bounded-id.ts`), without breaking
 * runs that used the whole value before they were bounded.
 */
import { inWorkflowContext, patched } from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import type { OperationRef } from '../src/domain/operation-ref';
import { operationSearchValue, pendingSearchAttributes } from '../src/domain/search-attributes';
import {
  awaitWorkflowId as boundedAwaitId,
  cancelWorkflowId as boundedCancelId,
  unboundedWorkflowId,
  type CancellerIdInput,
} from '../src/domain/workflow-id';

/**
 * The `patched()` marker of bounded values. Only runs whose value is long meet it: for the others the bounded
 * value is the value, and their histories stay as they were.
 */
export const BOUNDED_IDS_PATCH = 'temporal-gcp-lro-bounded-ids';

/**
 * `bounded`, unless this run is replaying a history that used `unbounded` (a child started, an attribute recorded)
 * before values were bounded: changing it would change the commands it issued. Outside a workflow, `bounded`.
 */
export function boundedUnlessRecorded(bounded: string, unbounded: string): string {
  return bounded === unbounded || !inWorkflowContext() || patched(BOUNDED_IDS_PATCH) ? bounded : unbounded;
}

/**
 * The workflow ID of an operation's `cancelOperation` (`src/domain/workflow-id.ts`), for workflow code: a parent
 * that started its canceller under the whole ID before IDs were bounded keeps it when it replays.
 */
export function cancelWorkflowId(operation: CancellerIdInput): string {
  return boundedUnlessRecorded(boundedCancelId(operation), unboundedWorkflowId('cancel', operation));
}

/** As {@link cancelWorkflowId}, for `awaitOperation`. */
export function awaitWorkflowId(operation: CancellerIdInput): string {
  return boundedUnlessRecorded(boundedAwaitId(operation), unboundedWorkflowId('await', operation));
}

/** The attributes of a canceller that records its own (started without them), bounded unless recorded whole. */
export function recordedPending(ref: OperationRef): SearchAttributePair[] {
  return pendingSearchAttributes(ref, boundedUnlessRecorded(operationSearchValue(ref.url), ref.url));
}
