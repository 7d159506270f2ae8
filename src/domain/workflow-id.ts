/**
 * One canceller per operation (and per account it acts as): workflow IDs derived from the canonical operation URL.
 *
 * Pure: a parent workflow can call these too, so its child gets the same ID a client would use.
 */
import type { ActAs } from './canceller-input';
import { parseOperationRef, type OperationRefInput } from './operation-ref';

/**
 * The workflow ID of the `cancelOperation` for an operation, e.g. `lro-cancel:https://alloydb...`. A canceller that
 * acts as another account (`impersonate`) has an ID of its own, `lro-cancel:https://…;as=canceller@p.iam…`: a start
 * naming an account never joins a canceller acting as another one.
 */
export function cancelWorkflowId(operation: (OperationRefInput & ActAs) | string): string {
  return `lro-cancel:${canonicalUrl(operation)}${actingAs(operation)}`;
}

/** The workflow ID of the `awaitOperation` for an operation (and account). */
export function awaitWorkflowId(operation: (OperationRefInput & ActAs) | string): string {
  return `lro-await:${canonicalUrl(operation)}${actingAs(operation)}`;
}

function canonicalUrl(operation: OperationRefInput | string): string {
  return parseOperationRef(typeof operation === 'string' ? { operation } : operation).url;
}

/** `;` never stands in an operation URL, so the account cannot be confused with it. */
function actingAs(operation: ActAs | string): string {
  return typeof operation === 'string' || operation.impersonate === undefined ? '' : `;as=${operation.impersonate}`;
}
