/**
 * Durations as users write them: Temporal duration strings (`"30s"`, `"2h"`, `"1 day"`) or milliseconds.
 *
 * Pure: safe to import from workflow code.
 */
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { InvalidArgumentError } from './invalid-argument';

/** The longest wait we accept: a year is already far beyond any Google operation's retention (about 30 days). */
export const MAX_DURATION_MS = 366 * 24 * 60 * 60 * 1000;

/**
 * Parses a duration field to milliseconds, or throws {@link InvalidArgumentError} naming the field.
 * `min` is inclusive.
 */
export function parseDuration(field: string, value: unknown, min = 1): number {
  const rule = 'must be a duration such as "30s", "10m" or "2h", or a number of milliseconds';
  let ms: number;
  if (typeof value === 'number') {
    ms = value;
  } else if (typeof value === 'string' && value.length <= 32) {
    try {
      ms = msToNumber(value as Duration);
    } catch {
      throw new InvalidArgumentError(field, rule, value);
    }
  } else {
    throw new InvalidArgumentError(field, rule, value);
  }
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(field, rule, value);
  if (ms < min) throw new InvalidArgumentError(field, `must be at least ${min} ms`, value);
  if (ms > MAX_DURATION_MS) throw new InvalidArgumentError(field, 'must be at most 366 days', value);
  return Math.round(ms);
}
