/**
 * The search attributes every canceller records, so `LroOutcome="CANCELLED"` finds them in the Web UI
 * and `temporal workflow list`.
 *
 * Pure: safe to import from workflow code.
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { OperationRef } from './operation-ref';

/** The canonical operation URL. */
export const LRO_OPERATION = defineSearchAttributeKey('LroOperation', SearchAttributeType.KEYWORD);
/** The API service, e.g. `alloydb.googleapis.com`. */
export const LRO_SERVICE = defineSearchAttributeKey('LroService', SearchAttributeType.KEYWORD);
/** `PENDING` while running, then the outcome (see `RecordedOutcome`). */
export const LRO_OUTCOME = defineSearchAttributeKey('LroOutcome', SearchAttributeType.KEYWORD);

/** All three, for registering them with a server. */
export const LRO_SEARCH_ATTRIBUTES = [LRO_OPERATION, LRO_SERVICE, LRO_OUTCOME] as const;

/** The attributes a canceller carries while it runs: its operation, service, and `LroOutcome=PENDING`. */
export function pendingSearchAttributes(ref: OperationRef): SearchAttributePair[] {
  return [
    { key: LRO_OPERATION, value: ref.url },
    { key: LRO_SERVICE, value: ref.service },
    { key: LRO_OUTCOME, value: 'PENDING' },
  ];
}

/** The memo summary of a canceller that has not finished yet. */
export function pendingSummary(verb: 'cancelling' | 'awaiting', ref: OperationRef): string {
  return `PENDING: ${verb} ${ref.url}`;
}
