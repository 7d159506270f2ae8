/**
 * Workflow IDs and Keyword search-attribute values that fit SQL persistence.
 *
 * On PostgreSQL and MySQL a workflow ID and a Keyword search attribute are `VARCHAR(255)`, and Temporal's SQL
 * stacks set `limit.maxIDLength: 255`; operation URLs run to 900 characters. A longer value keeps a readable head
 * and ends in the SHA-256 of the whole value: deterministic, so one canceller per operation still holds, and simple
 * enough for a Python, Go or Java parent to compute the same ID (README, "From a parent in Python, Go or Java").
 *
 * Pure: workflows derive their children's IDs with it.
 */
import { sha256Hex } from './sha256';

/** The longest workflow ID or Keyword value we produce: SQL persistence's `VARCHAR(255)`. */
export const MAX_ID_LENGTH = 255;

/** Separates the readable head from the digest; `;` never stands in an operation URL. */
const DIGEST_MARK = ';sha256=';
/** How much of a long value stays readable: the rest of the 255 is the mark and 64 hex digits. */
const HEAD_LENGTH = MAX_ID_LENGTH - DIGEST_MARK.length - 64;

/**
 * `value` itself when it has at most 255 characters; otherwise its first 183 characters, `;sha256=`, and the
 * lower-case hex SHA-256 of the whole value. Only printable ASCII is taken (operation URLs and account emails are
 * refused otherwise), so characters are bytes, as the server counts them, and no cut splits a character.
 */
export function boundedId(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new RangeError('boundedId takes printable ASCII only');
  if (value.length <= MAX_ID_LENGTH) return value;
  return `${value.slice(0, HEAD_LENGTH)}${DIGEST_MARK}${sha256Hex(value)}`;
}
