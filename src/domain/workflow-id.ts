/**
 * One canceller per operation (and per account it acts as): workflow IDs derived from the canonical operation URL.
 *
 * Pure: a parent workflow can call these too, so its child gets the same ID a client would use.
 */
import { boundedId } from './bounded-id';
import type { ActAs } from './canceller-input';
import { parseOperationRef, type OperationRefInput } from './operation-ref';

/** What a workflow ID is derived from: an operation reference (and account), or an operation URL. */
export type CancellerIdInput = (OperationRefInput & ActAs) | string;

/**
 * The workflow ID of the `cancelOperation` for an operation, e.g. `lro-cancel:https://alloydb...`. A canceller that
 * acts as another account (`impersonate`) has an ID of its own, `lro-cancel:https://…;as=canceller@p.iam…`: a start
 * naming an account never joins a canceller acting as another one. Past 255 characters, the ID is its first 183,
 * `;sha256=` and the SHA-256 of the whole (see {@link boundedId}).
 */
export function cancelWorkflowId(operation: CancellerIdInput): string {
  return boundedId(unboundedWorkflowId('cancel', operation));
}

/** The workflow ID of the `awaitOperation` for an operation (and account); bounded as {@link cancelWorkflowId}. */
export function awaitWorkflowId(operation: CancellerIdInput): string {
  return boundedId(unboundedWorkflowId('await', operation));
}

/**
 * The ID before it was bounded to 255 characters (0.2 and earlier): a parent that started its canceller under it
 * must keep using it when it replays.
 */
export function unboundedWorkflowId(kind: 'cancel' | 'await', operation: CancellerIdInput): string {
  const url = canonicalUrl(operation);
  // What keeps IDs apart: `;` only ever starts `;as=` or a bounded ID's `;sha256=`.
  if (url.includes(';')) throw new RangeError(`a canonical operation URL has no ';': ${url}`);
  return `lro-${kind}:${url}${actingAs(operation)}`;
}

function canonicalUrl(operation: OperationRefInput | string): string {
  return parseOperationRef(typeof operation === 'string' ? { operation } : operation).url;
}

/** `;` never stands in an operation URL, so the account cannot be confused with it. */
function actingAs(operation: ActAs | string): string {
  return typeof operation === 'string' || operation.impersonate === undefined ? '' : `;as=${operation.impersonate}`;
}
