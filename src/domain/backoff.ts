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
 * The default schedule: one poll straight after the cancel, then waits of 1 s, x1.3, up to 60 s, each
 * jittered ±10%.
 *
 * Why: it makes fewer calls than gax's Operations client (100 ms x1.3 up to 60 s) at every horizon (the same
 * mean interval once both reach a minute, far fewer before), notices a cancel that takes seconds or half a
 * minute no later than python api-core (1 s x1.5 up to 20 s), reaches a minute between polls after about four
 * minutes, and the jitter keeps thousands of cancellers started together from polling in lockstep against one
 * quota. Figures: BENCHMARKS.md, section 2.
 */
export const DEFAULT_POLL_SCHEDULE: PollSchedule = {
  initialIntervalMs: 1_000,
  backoffCoefficient: 1.3,
  maximumIntervalMs: 60_000,
  jitter: 0.1,
};

/**
 * Schedules by name, for `poll.schedule`. On long waits, Google API calls trade against how soon the outcome
 * is noticed: within gax's call count the mean lag is about half a minute, while api-core's ~10 s lag takes a
 * poll every ~18 s. No schedule has both, so the user chooses (figures: BENCHMARKS.md, section 2).
 *
 * - `default`: 1 s x1.3 up to 60 s: fewer calls than gax at every horizon.
 * - `balanced`: 1 s x1.3 up to 30 s: half the default's lag on long waits, at about twice its calls there.
 * - `prompt`: 1 s x1.3 up to 18 s: a lag no longer than api-core's at every horizon, at about 2.9x gax's calls
 *   on a 2 h wait.
 * - `frugal`: 2 s x2 up to 5 min: for tight quotas and cancels that take hours.
 */
export const POLL_SCHEDULES = {
  default: DEFAULT_POLL_SCHEDULE,
  balanced: { ...DEFAULT_POLL_SCHEDULE, maximumIntervalMs: 30_000 },
  prompt: { ...DEFAULT_POLL_SCHEDULE, maximumIntervalMs: 18_000 },
  frugal: { initialIntervalMs: 2_000, backoffCoefficient: 2, maximumIntervalMs: 300_000, jitter: 0.1 },
} as const satisfies Record<string, PollSchedule>;

/** A schedule name: `default`, `balanced`, `prompt` or `frugal`. */
export type PollScheduleName = keyof typeof POLL_SCHEDULES;

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
