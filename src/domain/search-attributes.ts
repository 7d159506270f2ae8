/**
 * The search attributes every canceller records, so `LroOutcome="CANCELLED"` finds them in the Web UI
 * and `temporal workflow list`.
 *
 * Pure: safe to import from workflow code.
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import { boundedId } from './bounded-id';
import type { OperationRef } from './operation-ref';

/**
 * The canonical operation URL; past 255 characters (SQL's Keyword limit), its head and SHA-256 as in
 * {@link operationSearchValue}.
 */
export const LRO_OPERATION = defineSearchAttributeKey('LroOperation', SearchAttributeType.KEYWORD);
/** The API service, e.g. `alloydb.googleapis.com`. */
export const LRO_SERVICE = defineSearchAttributeKey('LroService', SearchAttributeType.KEYWORD);
/** `PENDING` while running, then the outcome (see `RecordedOutcome`). */
export const LRO_OUTCOME = defineSearchAttributeKey('LroOutcome', SearchAttributeType.KEYWORD);

/** All three, for registering them with a server. */
export const LRO_SEARCH_ATTRIBUTES = [LRO_OPERATION, LRO_SERVICE, LRO_OUTCOME] as const;

/**
 * The `LroOperation` value of an operation URL (or a listing URL): the URL itself up to 255 characters, otherwise
 * its first 183, `;sha256=` and the SHA-256 of the whole URL. Query with it: `LroOperation = "<value>"`.
 */
export function operationSearchValue(url: string): string {
  return boundedId(url);
}

/**
 * The attributes a canceller carries while it runs: its operation, service, and `LroOutcome=PENDING`. Runs that
 * recorded a long URL whole, before values were bounded, pass it as `operationValue` to replay as they ran.
 */
export function pendingSearchAttributes(
  ref: OperationRef,
  operationValue = operationSearchValue(ref.url),
): SearchAttributePair[] {
  return [
    { key: LRO_OPERATION, value: operationValue },
    { key: LRO_SERVICE, value: ref.service },
    { key: LRO_OUTCOME, value: 'PENDING' },
  ];
}

/** The memo summary of a canceller that has not finished yet. */
export function pendingSummary(verb: 'cancelling' | 'awaiting', ref: OperationRef): string {
  return `PENDING: ${verb} ${ref.url}`;
}
