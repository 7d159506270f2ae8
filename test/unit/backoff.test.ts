/**
 * The polling schedule: exponential growth, the cap, the jitter bounds, and how many polls it makes compared
 * with Google's own Operations client.
 */
import { DEFAULT_POLL_SCHEDULE, pollDelay, type PollSchedule } from '../../src/domain/backoff';

/** No jitter: the delay is exactly the exponential curve. */
const STEADY: PollSchedule = { initialIntervalMs: 1_000, backoffCoefficient: 2, maximumIntervalMs: 10_000, jitter: 0 };
/** The middle of the jitter range: factor exactly 1. */
const RANDOM_MIDDLE = 0.5;
const RANDOM_LOWEST = 0;
const RANDOM_HIGHEST = 1 - Number.EPSILON;

/** gax's Operations client: 100 ms x1.3 up to 60 s, no jitter. */
const GAX_SCHEDULE: PollSchedule = {
  initialIntervalMs: 100,
  backoffCoefficient: 1.3,
  maximumIntervalMs: 60_000,
  jitter: 0,
};

/** How many polls a schedule makes within `horizonMs` of the first wait starting. */
function pollsWithin(schedule: PollSchedule, horizonMs: number, random: number): number {
  let elapsed = 0;
  let polls = 0;
  for (let attempt = 0; ; attempt++) {
    elapsed += pollDelay(schedule, attempt, random);
    if (elapsed > horizonMs) return polls;
    polls++;
  }
}

describe('DEFAULT_POLL_SCHEDULE', () => {
  it('is 1 s x1.3 up to 60 s with ±10% jitter', () => {
    expect(DEFAULT_POLL_SCHEDULE).toEqual({
      initialIntervalMs: 1_000,
      backoffCoefficient: 1.3,
      maximumIntervalMs: 60_000,
      jitter: 0.1,
    });
  });

  it('waits 1 s, 1.3 s, 1.69 s ... at the middle of the jitter range', () => {
    const delays = [0, 1, 2, 3, 4].map((attempt) => pollDelay(DEFAULT_POLL_SCHEDULE, attempt, RANDOM_MIDDLE));
    expect(delays).toEqual([1_000, 1_300, 1_690, 2_197, 2_856]);
  });

  it('reaches a minute between polls after about 3.5 minutes (the seventeenth wait)', () => {
    expect(pollDelay(DEFAULT_POLL_SCHEDULE, 15, RANDOM_MIDDLE)).toBeLessThan(60_000);
    expect(pollDelay(DEFAULT_POLL_SCHEDULE, 16, RANDOM_MIDDLE)).toBe(60_000);
    let beforeFirstMinuteWait = 0;
    for (let attempt = 0; attempt <= 15; attempt++)
      beforeFirstMinuteWait += pollDelay(DEFAULT_POLL_SCHEDULE, attempt, RANDOM_MIDDLE);
    expect(beforeFirstMinuteWait).toBeGreaterThan(3 * 60_000);
    expect(beforeFirstMinuteWait).toBeLessThan(4 * 60_000);
  });
});

describe('pollDelay', () => {
  it('grows by the coefficient on each attempt', () => {
    expect([0, 1, 2, 3].map((attempt) => pollDelay(STEADY, attempt, RANDOM_MIDDLE))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
  });

  it('is capped at the maximum interval', () => {
    expect(pollDelay(STEADY, 4, RANDOM_MIDDLE)).toBe(10_000);
    expect(pollDelay(STEADY, 1_000, RANDOM_MIDDLE)).toBe(10_000);
    expect(pollDelay(STEADY, Number.MAX_SAFE_INTEGER, RANDOM_MIDDLE)).toBe(10_000);
  });

  it('stays constant with a coefficient of 1', () => {
    const constant = { ...STEADY, backoffCoefficient: 1 };
    expect([0, 5, 50].map((attempt) => pollDelay(constant, attempt, RANDOM_MIDDLE))).toEqual([1_000, 1_000, 1_000]);
  });

  it('treats negative and fractional attempts as the whole attempt below, at least 0', () => {
    expect(pollDelay(STEADY, -3, RANDOM_MIDDLE)).toBe(1_000);
    expect(pollDelay(STEADY, 2.9, RANDOM_MIDDLE)).toBe(4_000);
  });

  it('jitters down to 1 - jitter with random 0', () => {
    expect(pollDelay(DEFAULT_POLL_SCHEDULE, 0, RANDOM_LOWEST)).toBe(900);
    expect(pollDelay(DEFAULT_POLL_SCHEDULE, 2, RANDOM_LOWEST)).toBe(Math.round(1_690 * 0.9));
  });

  it('jitters up to just under 1 + jitter with random 0.999…', () => {
    expect(pollDelay(DEFAULT_POLL_SCHEDULE, 0, RANDOM_HIGHEST)).toBe(1_100);
    expect(pollDelay(DEFAULT_POLL_SCHEDULE, 2, RANDOM_HIGHEST)).toBe(Math.round(1_690 * 1.1));
  });

  it('jitters around the maximum interval once capped, so the mean interval there is the maximum', () => {
    expect(pollDelay(DEFAULT_POLL_SCHEDULE, 50, RANDOM_HIGHEST)).toBe(66_000);
    expect(pollDelay(DEFAULT_POLL_SCHEDULE, 50, 0.5)).toBe(60_000);
    expect(pollDelay(DEFAULT_POLL_SCHEDULE, 50, RANDOM_LOWEST)).toBe(54_000);
  });

  it('stays within [1 - jitter, 1 + jitter] of the curve for every attempt and random draw', () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const curve = Math.min(60_000, 1_000 * 1.3 ** attempt);
      for (const random of [0, 0.1, 0.25, 0.5, 0.75, 0.9, RANDOM_HIGHEST]) {
        const delay = pollDelay(DEFAULT_POLL_SCHEDULE, attempt, random);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(curve * 0.9));
        expect(delay).toBeLessThanOrEqual(Math.ceil(curve * 1.1));
      }
    }
  });

  it('waits at least 1 ms', () => {
    expect(
      pollDelay({ initialIntervalMs: 1, backoffCoefficient: 1, maximumIntervalMs: 1, jitter: 0.9 }, 0, RANDOM_LOWEST),
    ).toBe(1);
  });

  it('is an integer number of milliseconds', () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      expect(Number.isInteger(pollDelay(DEFAULT_POLL_SCHEDULE, attempt, 0.123))).toBe(true);
    }
  });
});

describe('the default schedule against gax', () => {
  it('gax polls at 100 ms, 130 ms, 169 ms ... without jitter', () => {
    expect([0, 1, 2].map((attempt) => pollDelay(GAX_SCHEDULE, attempt, RANDOM_LOWEST))).toEqual([100, 130, 169]);
  });

  it.each([
    ['1 s', 1_000],
    ['30 s', 30_000],
    ['10 min', 10 * 60_000],
    ['2 h', 2 * 60 * 60_000],
  ])('makes no more polls than gax within %s', (_, horizonMs) => {
    const ours = pollsWithin(DEFAULT_POLL_SCHEDULE, horizonMs, RANDOM_MIDDLE);
    const gax = pollsWithin(GAX_SCHEDULE, horizonMs, RANDOM_MIDDLE);
    expect(ours).toBeLessThanOrEqual(gax);
  });

  it('makes far fewer polls than gax in the first minute', () => {
    expect(pollsWithin(DEFAULT_POLL_SCHEDULE, 1_000, RANDOM_MIDDLE)).toBe(1);
    expect(pollsWithin(GAX_SCHEDULE, 1_000, RANDOM_MIDDLE)).toBe(5);
    expect(pollsWithin(DEFAULT_POLL_SCHEDULE, 60_000, RANDOM_MIDDLE)).toBe(11);
    expect(pollsWithin(GAX_SCHEDULE, 60_000, RANDOM_MIDDLE)).toBe(19);
  });
});
