/**
 * The polling schedule: exponential backoff with jitter, in one pure function.
 *
 * Pure: safe to import from workflow code (pass the workflow's deterministic `Math.random()`).
 */

/** A resolved polling schedule, in milliseconds. */
export interface PollSchedule {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  /**
   * Each delay is scaled by a factor drawn from `[1 - jitter, 1 + jitter]`. The maximum caps the interval
   * before jitter, so the mean interval at the cap is the maximum itself.
   */
  jitter: number;
}

/**
 * The default schedule: one poll straight after the cancel, then waits of 1 s, x1.5, up to 60 s, each
 * jittered ±10%.
 *
 * Why: it makes fewer calls than gax's Operations client (100 ms x1.3 up to 60 s) at every horizon (the same
 * mean interval once both reach a minute, far fewer before), reaches a minute between polls after about
 * three minutes (most cancels confirm well within that), and the jitter keeps thousands of cancellers
 * started together from polling in lockstep against one quota.
 */
export const DEFAULT_POLL_SCHEDULE: PollSchedule = {
  initialIntervalMs: 1_000,
  backoffCoefficient: 1.5,
  maximumIntervalMs: 60_000,
  jitter: 0.1,
};

/**
 * The delay before poll number `attempt` (0-based) of a phase. `random` is a number in `[0, 1)`.
 */
export function pollDelay(schedule: PollSchedule, attempt: number, random: number): number {
  const exponent = Math.max(0, Math.floor(attempt));
  const base = Math.min(
    schedule.maximumIntervalMs,
    schedule.initialIntervalMs * Math.pow(schedule.backoffCoefficient, exponent),
  );
  const factor = 1 - schedule.jitter + 2 * schedule.jitter * random;
  return Math.max(1, Math.round(base * factor));
}
