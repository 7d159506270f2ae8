/**
 * One canceller per operation: workflow IDs derived from the canonical operation URL.
 *
 * Pure: a parent workflow can call these too, so its child gets the same ID a client would use.
 */
import { parseOperationRef, type OperationRefInput } from './operation-ref';

/** The workflow ID of the `cancelOperation` for an operation, e.g. `lro-cancel:https://alloydb...`. */
export function cancelWorkflowId(operation: OperationRefInput | string): string {
  return `lro-cancel:${canonicalUrl(operation)}`;
}

/** The workflow ID of the `awaitOperation` for an operation. */
export function awaitWorkflowId(operation: OperationRefInput | string): string {
  return `lro-await:${canonicalUrl(operation)}`;
}

function canonicalUrl(operation: OperationRefInput | string): string {
  return parseOperationRef(typeof operation === 'string' ? { operation } : operation).url;
}
