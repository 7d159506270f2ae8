/**
 * What `cancelOperations` answers and shows: its result, its `status` query, and the progress its batches report.
 *
 * Pure: safe to import from workflow code.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CallCounts, ListCosts, Match } from './bulk-calls';
import type { PollSchedule } from './backoff';
import type { BulkOutcome } from './bulk-progress';
import type { ResultError } from './outcome';

/** An operation that did not end `CANCELLED`, and why. */
export interface NotCancelled {
  operation: string;
  outcome: BulkOutcome;
  error?: ResultError;
}

/** Operations per batch of a bulk cancel: a batch's confirmation round names them all, so this bounds its payload. */
export const BATCH_SIZE = 500;
/** The most operations a batch takes when `concurrency` leaves fewer batches than `BATCH_SIZE` would make. */
export const MAX_BATCH_SIZE = 2_000;

/** At most this many operations that did not end `CANCELLED` are named in a result (the rest are counted). */
export const MAX_NOT_CANCELLED_LISTED = 100;
/** A dry run names at most this many of the operations it matched (all are counted). */
export const MAX_DRY_RUN_LISTED = 1_000;

/**
 * What `LroOutcome` records for a bulk cancel: `CANCELLED` when every operation was, `MIXED` when some were not,
 * `NONE` when nothing matched, `DRY_RUN` for a dry run (plus `PENDING`, `ERROR` and `ABANDONED` as for a canceller).
 */
export type BulkRecordedOutcome = 'CANCELLED' | 'MIXED' | 'NONE' | 'DRY_RUN' | 'PENDING' | 'ERROR' | 'ABANDONED';

/** The result of `cancelOperations`. */
export interface CancelOperationsResult {
  outcome: Exclude<BulkRecordedOutcome, 'PENDING' | 'ERROR' | 'ABANDONED'>;
  dryRun: boolean;
  /** Operations in the set (matched by the selector, or listed without repeats). */
  total: number;
  /** How many ended with each outcome (all zero for a dry run). */
  counts: Record<BulkOutcome, number>;
  /** The first {@link MAX_NOT_CANCELLED_LISTED} operations that did not end `CANCELLED`. */
  notCancelled: NotCancelled[];
  /** How many more did not end `CANCELLED` than `notCancelled` names. */
  notCancelledOmitted: number;
  /** A dry run: the first {@link MAX_DRY_RUN_LISTED} operations that would be cancelled. */
  operations?: (Match & { operation: string })[];
  /** Locations ListOperations could not reach: their operations were not considered. */
  unreachable: string[];
  /** Listed entries our own checks refused (not an Operation under the parent, or outside the worker's policy). */
  refused: number;
  refusedExamples: string[];
  /** Google calls made, by kind. */
  calls: CallCounts;
  startedAt: string;
  finishedAt: string;
}

/** The `status` query of `cancelOperations`. */
export interface BulkStatus {
  phase: 'listing' | 'cancelling' | 'finished';
  outcome: BulkRecordedOutcome;
  dryRun: boolean;
  /** Operations found so far (listing), or in the set. */
  total: number;
  /** Operations that have an outcome, and how many of each. */
  finished: number;
  counts: Record<BulkOutcome, number>;
  /** Cancels sent (answered) so far. */
  sent: number;
  batches: number;
  unreachable: string[];
  calls: CallCounts;
  startedAt: string;
}

/** The `status` query of a batch, and the progress it reports to its parent. */
export interface BatchProgress {
  batch: number;
  total: number;
  finished: number;
  sent: number;
  counts: Record<BulkOutcome, number>;
  calls: CallCounts;
}

/** The input of one batch of a bulk cancel: up to a thousand operations of the set, with the set's settings. */
export interface BatchInput {
  batch: number;
  /** How many batches the set was cut into (a batch reports progress less often the more there are). */
  batches?: number;
  /** Canonical operation URLs. */
  operations: string[];
  impersonate?: string;
  /** This batch's share of the set's pace. */
  concurrency: number;
  cancelsPerSecond: number;
  readsPerSecond: number;
  timeoutMs: number;
  notFoundGraceMs: number;
  schedule: PollSchedule;
  mode: 'get' | 'wait';
  /** What the selector's listing learned of each parent's size (see {@link ListCosts}). */
  costs: ListCosts;
}

/** The result of one batch. */
export interface BatchResult {
  counts: Record<BulkOutcome, number>;
  sent: number;
  notCancelled: NotCancelled[];
  notCancelledOmitted: number;
  calls: CallCounts;
}

/** The `status` query, on `cancelOperations` ({@link BulkStatus}) and on its batches ({@link BatchProgress}). */
export const bulkStatusQuery = defineQuery<BulkStatus>('status');
export const batchStatusQuery = defineQuery<BatchProgress>('status');
/** A batch tells its parent how far it got. */
export const batchProgressSignal = defineSignal<[BatchProgress]>('batchProgress');
