/**
 * What the activities return: every answer the workflow must act on is a value; only faults throw.
 *
 * Pure types: safe to import from workflow code.
 */
import type { OperationRefInput } from './operation-ref';
import type { OperationSummary } from './operation-summary';

/** What an activity is called with: the operation, and the service account to act as, if not the worker's own. */
export interface OperationCall extends OperationRefInput {
  /** A service-account email the worker impersonates for this call (`LRO_IMPERSONATION_ALLOWED`). */
  impersonate?: string;
}

/** Who made a call: the account whose token it carried, when the credentials tell. */
export interface ActedAs {
  principal?: string;
}

/** The answer to `POST {name}:cancel`. */
export type CancelAnswer =
  | { result: 'accepted' }
  /** The service does not support cancellation. */
  | { result: 'UNIMPLEMENTED'; message: string }
  /** No such operation (yet: a just-created one may not be visible). */
  | { result: 'NOT_FOUND'; message: string }
  /** Not cancellable, or already done. */
  | { result: 'FAILED_PRECONDITION'; message: string };

/** The answer to `GET {name}`. */
export type GetAnswer = ({ found: true; operation: OperationSummary } | { found: false; message: string }) & ActedAs;

/** What `waitOperation` is called with: the operation, and how long the service is asked to wait at most. */
export interface WaitCall extends OperationCall {
  /** The WaitOperation timeout, in milliseconds; the service may answer sooner. */
  timeoutMs: number;
}

/**
 * The answer to `waitOperation`: the operation as WaitOperation (or, when the service does not support it, a GET)
 * found it. `waitUnsupported` says the service does not support WaitOperation: poll with GETs from now on.
 */
export type WaitAnswer = GetAnswer & { waitUnsupported?: true };

/** The answer to `cancelAndGet`: the cancel's, then the GET's right after it. */
export interface CancelAndGetAnswer extends ActedAs {
  cancel: CancelAnswer;
  /** Absent when the cancel answered UNIMPLEMENTED (nothing to poll) or the GET failed. */
  get?: GetAnswer;
  /**
   * The GET failed: its google.rpc code and message, and the delay the service asked for before the next try,
   * if any.
   */
  getFailed?: { code: string; message?: string; retryDelayMs?: number };
}

/**
 * Whether a cancel request went out, as far as this canceller can tell: `maybe` when the call was under way
 * when it was interrupted (the request may have reached the service).
 */
export type CancelRequestSent = 'no' | 'maybe' | 'yes';

/** How far `cancelAndGet` got: the details of its heartbeats and of its cancellation. */
export interface CancelProgress {
  cancelRequestSent: CancelRequestSent;
  /** The cancel's answer, once it came. */
  cancel?: CancelAnswer;
}

/** What a ListOperations call is made with: where to list, how, and as whom. */
export interface ListCall {
  /** The API host, e.g. `alloydb.googleapis.com`. */
  service: string;
  apiVersion: string;
  /**
   * The resource whose operations to list: `projects/p/locations/l`, `organizations/o/locations/l`, a location
   * wildcard `projects/p/locations/-`, or `''` for a service's top-level `operations` collection.
   */
  parent: string;
  /** Passed to the service as it is: a hint, never trusted (every operation is checked again on our side). */
  filter?: string;
  pageSize?: number;
  pageToken?: string;
  impersonate?: string;
}

/** One page of ListOperations, checked. */
export interface ListPage {
  /** The operations under the parent, summarised. */
  operations: OperationSummary[];
  nextPageToken?: string;
  /** Locations the service could not reach: their operations are missing from the list. */
  unreachable: string[];
  /** Entries that were not an Operation under the parent: counted, never acted on. */
  foreign: number;
}
