/**
 * Polling schedules side by side: how many GetOperation calls each makes, and how late it notices, for an
 * operation whose cancellation takes a given time. Pure: the package's own `pollDelay` computes every delay.
 */
import { seededRandom } from '../src/testing/seeded-random';
import { DEFAULT_POLL_SCHEDULE, POLL_SCHEDULES, pollDelay, type PollSchedule } from '../src/domain/backoff';

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

/** `1 s x1.3 up to 60 s` for tables. */
function describeCurve(schedule: PollSchedule): string {
  const time = (ms: number) => (ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`);
  return `${time(schedule.initialIntervalMs)} x${schedule.backoffCoefficient} up to ${time(schedule.maximumIntervalMs)}`;
}

/** The package's default: immediate first poll, then the default curve, ±10% jitter. */
export const OURS: SimulatedSchedule = {
  name: 'ours (default)',
  description: `first GET at once, then ${describeCurve(DEFAULT_POLL_SCHEDULE)}, ±10% jitter`,
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
export const NAMED: readonly SimulatedSchedule[] = (['balanced', 'prompt', 'frugal'] as const).map((name) => ({
  name: `"${name}"`,
  description: `first GET at once, then ${describeCurve(POLL_SCHEDULES[name])}, ±10% jitter`,
  schedule: POLL_SCHEDULES[name],
  firstPoll: 'immediate',
}));

/** The figures of one schedule for one cancellation time, averaged over the jitter draws. */
export interface SimulatedFigures {
  calls: number;
  /** Mean time from the operation finishing to the GET that sees it, in ms. */
  lagMs: number;
  /** The poller's own deadline passed before it saw the operation finish (api-core beyond 900 s). */
  gaveUp: boolean;
}

/** Upper bound on GETs per simulated wait: far above what any schedule here needs for 2 h. */
const MAX_POLLS = 1_000_000;

/**
 * Simulates `simulated` against operations that finish about `finishMs` after the cancel, with zero-latency
 * calls: a GET at or after the finish sees it done. Each of the `draws` runs draws the finish uniformly within
 * ±`spread` of `finishMs` (so no figure hinges on a GET landing on the very instant) and, for jittered
 * schedules, the jitter, from one seeded generator.
 */
export function simulate(
  simulated: SimulatedSchedule,
  finishMs: number,
  options: { draws: number; spread: number; seed: number },
): SimulatedFigures {
  const random = seededRandom(options.seed);
  let calls = 0;
  let lag = 0;
  let gaveUp = false;
  for (let run = 0; run < options.draws; run++) {
    const finish = finishMs * (1 - options.spread + 2 * options.spread * random());
    let t = simulated.firstPoll === 'immediate' ? 0 : pollDelay(simulated.schedule, 0, random());
    let attempt = simulated.firstPoll === 'immediate' ? 0 : 1;
    let n = 1;
    while (t < finish && n < MAX_POLLS) {
      t += pollDelay(simulated.schedule, attempt, random());
      attempt++;
      n++;
    }
    calls += n;
    lag += t - finish;
    if (simulated.totalTimeoutMs !== undefined && t > simulated.totalTimeoutMs) gaveUp = true;
  }
  return { calls: calls / options.draws, lagMs: lag / options.draws, gaveUp };
}
