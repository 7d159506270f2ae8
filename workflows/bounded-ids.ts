/**
 * Workflow IDs and `LroOperation` values bounded to 255 characters (`src/domain/bounded-id.ts`), without breaking
 * runs that used the whole value before they were bounded.
 */
import { inWorkflowContext, patched, workflowInfo } from '@temporalio/workflow';
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
 * Each run's choice per long value. `patched()` answers false while a run replays a history without the marker and
 * true once it runs on: without this, a run upgraded mid-way would start its canceller under the whole ID and then
 * signal, join or start it again under the bounded one. Keyed by run, as modules may be shared between workflows.
 */
const chosenByRun = new Map<string, Map<string, string>>();

/**
 * `bounded`, unless this run used `unbounded` (a child started, an attribute recorded) before values were bounded:
 * changing it would change the commands it issued, and miss the canceller it started. The first answer for a value
 * holds for the rest of the run. Outside a workflow, `bounded`. Call it from workflow code, not at module load.
 */
export function boundedUnlessRecorded(bounded: string, unbounded: string): string {
  if (bounded === unbounded || !inWorkflowContext()) return bounded;
  const { runId } = workflowInfo();
  let chosen = chosenByRun.get(runId);
  if (!chosen) chosenByRun.set(runId, (chosen = new Map()));
  let value = chosen.get(unbounded);
  if (value === undefined) chosen.set(unbounded, (value = patched(BOUNDED_IDS_PATCH) ? bounded : unbounded));
  return value;
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
