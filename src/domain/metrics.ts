/**
 * The package's own metrics, next to the SDK's: how cancellers end, how many polls they take, and which
 * errors Google's APIs answer. The worker exports them when `LRO_METRICS_BIND` is set (Prometheus, under these
 * names: the SDK's `temporal_` prefix applies to its own metrics only); otherwise they go nowhere.
 *
 * Pure: safe to import from workflow code. Callers pass the meter: `metricMeter` from `@temporalio/workflow`
 * (which emits nothing during replay) or `Context.current().metricMeter` in an activity.
 */
import type { MetricCounter, MetricMeter } from '@temporalio/common';
import { BULK_OUTCOMES } from './bulk-progress';
import { OUTCOMES, type RecordedOutcome } from './outcome';

/**
 * Counter of cancellers that ended, tagged `outcome` (an outcome, `ERROR` or `ABANDONED`), and of the operations of
 * a bulk cancel, each once (`workflowType` `cancelOperationsBatch`).
 */
export const OUTCOMES_METRIC = 'lro_outcomes';
/** The outcomes each workflow type counts in {@link OUTCOMES_METRIC}. */
export const OUTCOMES_BY_WORKFLOW_TYPE: Readonly<Record<string, readonly RecordedOutcome[]>> = {
  cancelOperation: [...OUTCOMES, 'ERROR', 'ABANDONED'],
  awaitOperation: [...OUTCOMES, 'ERROR', 'ABANDONED'],
  cancelOperationsBatch: BULK_OUTCOMES,
};
/** Histogram of GetOperation calls per canceller (across continue-as-new), tagged `outcome`. */
export const POLLS_METRIC = 'lro_polls';
/** Bucket bounds for {@link POLLS_METRIC}: the SDK's defaults are sized for milliseconds. */
export const POLLS_BUCKETS: readonly number[] = [0, 1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];
/**
 * Counter of error answers from Google's Operations API, tagged `code` (the google.rpc code name, e.g.
 * `UNAVAILABLE`, `NOT_FOUND`) and `method` (`cancel` or `get`). Answers the workflow treats as values
 * (a cancel's UNIMPLEMENTED, a get's NOT_FOUND) count too.
 */
export const GOOGLE_API_ERRORS_METRIC = 'lro_google_api_errors';

/** Records that a canceller ended with `outcome` after `polls` GetOperation calls. */
export function recordOutcome(meter: MetricMeter, outcome: RecordedOutcome, polls: number): void {
  countOutcome(meter, outcome);
  meter.createHistogram(POLLS_METRIC, 'int', '', 'GetOperation calls per canceller').record(polls, { outcome });
}

/** Counts one outcome in {@link OUTCOMES_METRIC}: a canceller's, or one operation's of a bulk cancel. */
export function countOutcome(meter: MetricMeter, outcome: RecordedOutcome): void {
  outcomesCounter(meter).add(1, { outcome });
}

/**
 * Adds 0 to every {@link OUTCOMES_METRIC} series a worker's workflows can count in, so that each exists before its
 * first count: Prometheus' `increase()` cannot see the increment that creates a series. `meter` must carry the tags
 * the worker's workflow meter adds (`namespace`, `taskQueue`); `workflowType` is added here, as the workflow's is.
 */
export function zeroOutcomes(meter: MetricMeter): void {
  const counter = outcomesCounter(meter);
  for (const [workflowType, outcomes] of Object.entries(OUTCOMES_BY_WORKFLOW_TYPE)) {
    for (const outcome of outcomes) counter.add(0, { workflowType, outcome });
  }
}

function outcomesCounter(meter: MetricMeter): MetricCounter {
  return meter.createCounter(OUTCOMES_METRIC, '', 'Cancellers that ended, by outcome');
}

/** Counts one error answer from Google's Operations API. */
export function countGoogleApiError(meter: MetricMeter, method: 'cancel' | 'get', code: string): void {
  meter
    .createCounter(GOOGLE_API_ERRORS_METRIC, '', "Error answers from Google's Operations API")
    .add(1, { code, method });
}
