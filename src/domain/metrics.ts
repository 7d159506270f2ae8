/**
 * The package's own metrics, next to the SDK's: how cancellers end, how many polls they take, and which
 * errors Google's APIs answer. The worker exports them when `LRO_METRICS_BIND` is set (Prometheus, under these
 * names: the SDK's `temporal_` prefix applies to its own metrics only); otherwise they go nowhere.
 *
 * Pure: safe to import from workflow code. Callers pass the meter: `metricMeter` from `@temporalio/workflow`
 * (which emits nothing during replay) or `Context.current().metricMeter` in an activity.
 */
import type { MetricMeter } from '@temporalio/common';
import type { RecordedOutcome } from './outcome';

/** Counter of cancellers that ended, tagged `outcome` (an outcome, `ERROR` or `ABANDONED`). */
export const OUTCOMES_METRIC = 'lro_outcomes';
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
  meter.createCounter(OUTCOMES_METRIC, '', 'Cancellers that ended, by outcome').add(1, { outcome });
  meter.createHistogram(POLLS_METRIC, 'int', '', 'GetOperation calls per canceller').record(polls, { outcome });
}

/** Counts one error answer from Google's Operations API. */
export function countGoogleApiError(meter: MetricMeter, method: 'cancel' | 'get', code: string): void {
  meter
    .createCounter(GOOGLE_API_ERRORS_METRIC, '', "Error answers from Google's Operations API")
    .add(1, { code, method });
}
