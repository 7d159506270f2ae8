/**
 * What a canceller starts from: its release marker, its timing constants, and the check of its input and carried
 * state (bad input recorded before the workflow fails).
 */
import { metricMeter, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { CancellerSettings } from '../src/domain/canceller-input';
import { InvalidArgumentError } from '../src/domain/invalid-argument';
import { recordOutcome } from '../src/domain/metrics';
import { LRO_OUTCOME } from '../src/domain/search-attributes';
import { carriedState, type CancellerState } from './canceller-state';

/**
 * The `patched()` marker of this release's canceller. Runs whose history lacks it were started by 0.1.0 and
 * finish on `legacy-0.1.ts`.
 */
export const RELEASE_0_2_PATCH = 'temporal-gcp-lro-0.2';

/** Google's answers that fail the workflow (after recording `ERROR`) instead of being retried. */
export const FATAL_ERROR_TYPES = ['INVALID_ARGUMENT', 'PERMISSION_DENIED', 'UNAUTHENTICATED'];

/** A run continues as new after this many polls even if the server has not suggested it yet. */
export const MAX_POLLS_PER_RUN = 500;
/** Start-to-close time of an activity, per HTTP call it makes. */
export const ACTIVITY_CALL_TIMEOUT_MS = 60_000;
/**
 * How long an activity may take when its phase's deadline is nearer: the last poll comes at the deadline itself
 * and still gets an attempt and a retry.
 */
export const MIN_RETRY_WINDOW_MS = 2_000;
/** The activities heartbeat during slow calls; a worker that died mid-call is noticed after this. */
export const HEARTBEAT_TIMEOUT_MS = 10_000;
/** A WaitOperation call is made only when at least this much of the phase is left (a timer covers the rest). */
export const MIN_WAIT_MS = 1_000;
/**
 * A wait that answers "still running" sooner than this was not a wait (a service that answers at once): the
 * schedule's timer comes before the next call, so such a service is not polled in a tight loop.
 */
export const EARLY_WAIT_ANSWER_MS = 1_000;
/**
 * Validates the input with `validate`, and the state carried from a previous run; bad input is recorded
 * (`LroOutcome=ERROR`, the memo, the metric) and fails the workflow with the non-retryable `INVALID_ARGUMENT`
 * failure that names the field.
 */
export function validatedOrRecorded(
  validate: () => CancellerSettings,
  carried: unknown,
): { settings: CancellerSettings; carried: CancellerState | undefined } {
  try {
    const settings = validate();
    return { settings, carried: carriedState(carried, workflowInfo().continuedFromExecutionRunId !== undefined) };
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      upsertSearchAttributes([{ key: LRO_OUTCOME, value: 'ERROR' }]);
      upsertMemo({ summary: `ERROR: INVALID_ARGUMENT: ${err.message}` });
      recordOutcome(metricMeter, 'ERROR', 0);
    }
    throw err;
  }
}
