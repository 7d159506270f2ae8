/**
 * Polling schedules side by side: how many GetOperation calls each makes, and how late it notices, for an
 * operation whose cancellation takes a given time. Pure: the package's own `pollDelay` computes every delay.
 */
import { seededRandom } from '../src/testing/seeded-random';
import { DEFAULT_POLL_SCHEDULE, POLL_SCHEDULES, pollDelay, type PollSchedule } from '../src/backoff';

/** A schedule as a client runs it. */
export interface SimulatedSchedule {
  /** Short name for tables. */
  name: string;
  /** Where it comes from or what it is for. */
  description: string;
  schedule: PollSchedule;
  /**
   * `immediate`: the first GET right after the cancel, then the delays (our workflow). `after-initial`: the
   * first GET after the first delay (gax's and api-core's pollers, as modelled here).
   */
  firstPoll: 'immediate' | 'after-initial';
  /** The poller's own total deadline, if it has one (api-core: 900 s). */
  totalTimeoutMs?: number;
}

/** The package's default: immediate first poll, then 1 s x1.5 up to 60 s, ±10% jitter. */
export const OURS: SimulatedSchedule = {
  name: 'ours (default)',
  description: 'first GET at once, then 1 s x1.5 up to 60 s, ±10% jitter',
  schedule: DEFAULT_POLL_SCHEDULE,
  firstPoll: 'immediate',
};

/** gax (Node) Operations polling: 100 ms x1.3 up to 60 s, no total. */
export const GAX: SimulatedSchedule = {
  name: 'gax (Node)',
  description: '100 ms x1.3 up to 60 s, no jitter, no total',
  schedule: { initialIntervalMs: 100, backoffCoefficient: 1.3, maximumIntervalMs: 60_000, jitter: 0 },
  firstPoll: 'after-initial',
};

/** python api-core polling: 1 s x1.5 up to 20 s, 900 s total. */
export const API_CORE: SimulatedSchedule = {
  name: 'api-core (python)',
  description: '1 s x1.5 up to 20 s, no jitter, 900 s total',
  schedule: { initialIntervalMs: 1_000, backoffCoefficient: 1.5, maximumIntervalMs: 20_000, jitter: 0 },
  firstPoll: 'after-initial',
  totalTimeoutMs: 900_000,
};

/** The other named schedules users can choose with `poll.schedule`. */
export const NAMED: readonly SimulatedSchedule[] = (['balanced', 'prompt', 'frugal'] as const).map((name) => {
  const schedule = POLL_SCHEDULES[name];
  const seconds = (ms: number) => (ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`);
  return {
    name: `"${name}"`,
    description: `first GET at once, then ${seconds(schedule.initialIntervalMs)} x${schedule.backoffCoefficient} up to ${seconds(schedule.maximumIntervalMs)}, ±10% jitter`,
    schedule,
    firstPoll: 'immediate',
  };
});

/** The figures of one schedule for one cancellation time, averaged over the jitter draws. */
export interface SimulatedFigures {
  calls: number;
  /** Mean time from the operation finishing to the GET that sees it, in ms. */
  lagMs: number;
  /** Largest lag over the draws, in ms. */
  maxLagMs: number;
  /** The poller's own deadline passed before it saw the operation finish (api-core beyond 900 s). */
  gaveUp: boolean;
}

/** Upper bound on GETs per simulated wait: far above what any schedule here needs for 2 h. */
const MAX_POLLS = 1_000_000;

/**
 * Simulates `simulated` against an operation that finishes `finishMs` after the cancel, with zero-latency
 * calls: a GET at or after `finishMs` sees it done. Schedules without jitter are deterministic; jittered ones
 * are averaged over `draws` runs of the seeded generator.
 */
export function simulate(simulated: SimulatedSchedule, finishMs: number, draws: number, seed = 1): SimulatedFigures {
  const random = seededRandom(seed);
  const runs = simulated.schedule.jitter === 0 ? 1 : draws;
  let calls = 0;
  let lag = 0;
  let maxLag = 0;
  let gaveUp = false;
  for (let run = 0; run < runs; run++) {
    let t = simulated.firstPoll === 'immediate' ? 0 : pollDelay(simulated.schedule, 0, random());
    let attempt = simulated.firstPoll === 'immediate' ? 0 : 1;
    let n = 1;
    while (t < finishMs && n < MAX_POLLS) {
      t += pollDelay(simulated.schedule, attempt, random());
      attempt++;
      n++;
    }
    calls += n;
    lag += t - finishMs;
    maxLag = Math.max(maxLag, t - finishMs);
    if (simulated.totalTimeoutMs !== undefined && t > simulated.totalTimeoutMs) gaveUp = true;
  }
  return { calls: calls / runs, lagMs: lag / runs, maxLagMs: maxLag, gaveUp };
}
