/**
 * Google's REST error answers: the AIP-193 envelope, the HTTP fallback, and the retry hints
 * (`google.rpc.RetryInfo` in the body first, then a `Retry-After` header).
 *
 * Pure: safe to import from workflow code.
 */
import { isRpcCodeName, rpcCodeFromHttpStatus, type RpcCodeName } from './rpc-code';

/** What a failed call to Google answered, reduced to what callers decide on. */
export interface GoogleCallError {
  /** The google.rpc code name: the envelope's `status`, else derived from the HTTP status. */
  code: RpcCodeName;
  /** The HTTP status, or 0 when no answer arrived (reset, timeout). */
  httpStatus: number;
  /** A bounded, single-line message. */
  message: string;
  /** How long Google asked us to wait before trying again, when it said. */
  retryDelayMs?: number;
  /** `google.rpc.ErrorInfo.reason`, when present (e.g. `RATE_LIMIT_EXCEEDED`). */
  reason?: string;
}

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';
const ERROR_INFO_TYPE = 'type.googleapis.com/google.rpc.ErrorInfo';
/** Longest message we carry: error text ends up in workflow history. */
export const MAX_MESSAGE_LENGTH = 1024;
/**
 * The shortest wait a retry hint can ask for: a `0s` hint would otherwise retry in a hot loop. It equals the
 * retry policy's first interval, so a hint never makes us call sooner than we would without one.
 */
export const MIN_RETRY_DELAY_MS = 1_000;
/**
 * The longest wait a retry hint can ask for: five minutes covers any per-minute quota window, and a bogus
 * `3600s` cannot park a canceller until its deadline.
 */
export const MAX_RETRY_DELAY_MS = 5 * 60_000;

/**
 * Classifies a non-2xx answer. Prefers the envelope's `status` over the HTTP code; falls back to the
 * HTTP-to-RPC table for bodies that are not the envelope (an HTML 404 from a wrong host, an empty 502).
 */
export function parseErrorResponse(
  httpStatus: number,
  body: string,
  retryAfterHeader: string | undefined,
  nowMs: number,
): GoogleCallError {
  const envelope = parseEnvelope(body);
  const code = envelope?.status ?? rpcCodeFromHttpStatus(httpStatus);
  const message = boundMessage(envelope?.message ?? `HTTP ${httpStatus} without a Google error body`);
  const hint = envelope?.retryDelayMs ?? parseRetryAfter(retryAfterHeader, nowMs);
  const retryDelayMs = hint === undefined ? undefined : boundRetryDelay(hint);
  return {
    code,
    httpStatus,
    message,
    ...(retryDelayMs === undefined ? {} : { retryDelayMs }),
    ...(envelope?.reason === undefined ? {} : { reason: envelope.reason }),
  };
}

interface Envelope {
  status?: RpcCodeName;
  message?: string;
  retryDelayMs?: number;
  reason?: string;
}

function parseEnvelope(body: string): Envelope | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const error = isObject(parsed) ? parsed['error'] : undefined;
  if (!isObject(error)) return undefined;
  const envelope: Envelope = {};
  if (isRpcCodeName(error['status'])) envelope.status = error['status'];
  if (typeof error['message'] === 'string') envelope.message = error['message'];
  const details = Array.isArray(error['details']) ? error['details'] : [];
  for (const detail of details) {
    if (!isObject(detail)) continue;
    if (detail['@type'] === RETRY_INFO_TYPE) {
      const delay = parseProtoDuration(detail['retryDelay']);
      if (delay !== undefined) envelope.retryDelayMs = delay;
    } else if (detail['@type'] === ERROR_INFO_TYPE && typeof detail['reason'] === 'string') {
      envelope.reason = detail['reason'].slice(0, 128);
    }
  }
  return envelope;
}

/**
 * The one policy for Google's retry hints (`RetryInfo`, `Retry-After`), on every path: the hint, held within
 * [{@link MIN_RETRY_DELAY_MS}, {@link MAX_RETRY_DELAY_MS}].
 */
export function boundRetryDelay(ms: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, Math.max(MIN_RETRY_DELAY_MS, ms));
}

/**
 * A protobuf Duration in its JSON form (`"53s"`, `"1.5s"`), or the `{seconds, nanos}` object form, in ms.
 * Returns undefined for anything else.
 */
export function parseProtoDuration(value: unknown): number | undefined {
  if (typeof value === 'string') {
    const match = /^([0-9]{1,10})(?:\.([0-9]{1,9}))?s$/.exec(value);
    if (!match) return undefined;
    const fraction = (match[2] ?? '').padEnd(3, '0').slice(0, 3);
    return Number(match[1]) * 1000 + Number(fraction);
  }
  if (isObject(value)) {
    const seconds = Number(value['seconds'] ?? 0);
    const nanos = Number(value['nanos'] ?? 0);
    if (Number.isFinite(seconds) && Number.isFinite(nanos) && seconds >= 0 && nanos >= 0) {
      return Math.round(seconds * 1000 + nanos / 1e6);
    }
  }
  return undefined;
}

/** A `Retry-After` header (delta-seconds or an HTTP date) in ms from `nowMs`; undefined if absent or bad. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^[0-9]{1,9}$/.test(text)) return Number(text) * 1000;
  // An HTTP-date names its day and month; V8's lenient Date.parse would read "1.5" as a date too.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** One line, at most {@link MAX_MESSAGE_LENGTH} characters. */
export function boundMessage(message: string): string {
  // eslint-disable-next-line no-control-regex
  const line = message.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return line.length > MAX_MESSAGE_LENGTH ? `${line.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : line;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
