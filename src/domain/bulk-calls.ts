/**
 * What the bulk activities are called with and answer: compact, index-addressed values, so a batch of a
 * thousand operations costs kilobytes of history per round, not megabytes.
 *
 * Pure types: safe to import from workflow code.
 */
import type { CancelAnswer } from './call-answers';
import type { BulkSettings } from './bulk-input';
import type { ResultError } from './outcome';

/** A call that failed: its google.rpc code name, a bounded message, and whether trying again can help. */
export interface CallFailure {
  code: string;
  message: string;
  retryable: boolean;
}

/** `listMatches`: the next pages of a selector's ListOperations. */
export interface ListMatchesCall {
  select: NonNullable<BulkSettings['select']>;
  pageToken?: string;
  impersonate?: string;
}

/** An operation a selector matched, with what a dry run's table shows. */
export interface Match {
  name: string;
  createTime?: string;
  metadataType?: string;
}

/** What `listMatches` found in the pages it read. */
export interface ListMatchesAnswer {
  matches: Match[];
  /** More to read: call again with it. */
  nextPageToken?: string;
  /** Locations the service could not reach (their operations are not in the list). */
  unreachable: string[];
  /** Operations listed (before our own checks). */
  listed: number;
  pages: number;
  /** Entries that were not an Operation under the parent, or failed our checks (with a few examples). */
  refused: number;
  refusedExamples: string[];
}

/** `sendCancels`: cancel requests for a chunk of operations, paced. */
export interface SendCancelsCall {
  /** Canonical operation URLs. */
  operations: string[];
  impersonate?: string;
  concurrency: number;
  perSecond: number;
}

/** One cancel's answer, or why it has none. */
export type SendResult = { answer: CancelAnswer } | { failed: CallFailure & { retryDelayMs?: number } };

/** `sendCancels`' answer, one result per operation, in order. */
export interface SendCancelsAnswer {
  results: SendResult[];
}

/**
 * What a full listing of one parent costs, learned as confirmation goes: `pages` to list all of it, or at least
 * that many when `exact` is false. Keyed by `host|apiVersion|parent`.
 */
export type ListCosts = Record<string, { pages: number; exact: boolean }>;

/** `confirmOperations`: where the waiting operations stand now. */
export interface ConfirmCall {
  operations: string[];
  /** Indexes whose running state matters beyond "running": a FAILED_PRECONDITION cancel, confirmed by its metadata. */
  needsCancelFlag: number[];
  impersonate?: string;
  concurrency: number;
  perSecond: number;
  costs: ListCosts;
  /** `wait`: WaitOperation calls of at most `waitTimeoutMs` each, falling back to `get` where unsupported. */
  mode: 'get' | 'wait';
  waitTimeoutMs: number;
  /** The confirmation round, from 0: which operation waits a round when a page saved nothing takes turns. */
  round: number;
  /** Start no read after this long: the rest are `unread`, and wait for the next round. */
  budgetMs: number;
}

/** What confirmation saw of one operation; an operation seen running (and not flagged) is left out. */
export type Observation =
  | {
      i: number;
      state: 'cancelled' | 'failed' | 'succeeded' | 'done-without-result';
      error?: ResultError;
    }
  | { i: number; state: 'running'; cancelRequested?: boolean }
  | { i: number; notFound: string }
  | { i: number; failed: CallFailure & { retryDelayMs?: number } };

/** Calls made, by kind. */
export interface CallCounts {
  cancel: number;
  get: number;
  list: number;
  wait: number;
}

/** `confirmOperations`' answer. */
export interface ConfirmAnswer {
  observations: Observation[];
  costs: ListCosts;
  calls: Omit<CallCounts, 'cancel'>;
  /** A `:wait` answered UNIMPLEMENTED: confirm with `get` from now on. */
  waitUnsupported?: true;
  /** Indexes not read this round (out of budget, or waiting a round so that no round costs more than a GET each). */
  unread: number[];
}
