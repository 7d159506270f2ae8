/**
 * google.rpc.Code names, the HTTP fallback table, and the one table that decides what is retried.
 *
 * Pure: safe to import from workflow code.
 */

/** The google.rpc.Code values, by name. */
export const RpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A google.rpc.Code name such as `NOT_FOUND`. */
export type RpcCodeName = keyof typeof RpcCode;

const NAMES_BY_NUMBER: ReadonlyMap<number, RpcCodeName> = new Map(
  (Object.entries(RpcCode) as [RpcCodeName, number][]).map(([name, code]) => [code, name]),
);

/** True when `value` is one of the google.rpc.Code names. */
export function isRpcCodeName(value: unknown): value is RpcCodeName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(RpcCode, value);
}

/** The name of a numeric google.rpc.Code; `UNKNOWN` for numbers outside the enum. */
export function rpcCodeName(code: number): RpcCodeName {
  return NAMES_BY_NUMBER.get(code) ?? 'UNKNOWN';
}

/** The HTTP status Google's REST front end uses for each code (the inverse of {@link rpcCodeFromHttpStatus}). */
export const HTTP_STATUS_BY_RPC_CODE: Readonly<Record<RpcCodeName, number>> = {
  OK: 200,
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
};

/**
 * The code for an HTTP status when the body is not Google's error envelope (as gax's `status.ts` maps it):
 * an HTML 404 from a wrong host, an empty 502 from a proxy.
 */
export function rpcCodeFromHttpStatus(status: number): RpcCodeName {
  switch (status) {
    case 400:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'ABORTED';
    case 416:
      return 'OUT_OF_RANGE';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 499:
      return 'CANCELLED';
    case 501:
      return 'UNIMPLEMENTED';
    case 503:
      return 'UNAVAILABLE';
    case 504:
      return 'DEADLINE_EXCEEDED';
    default:
      if (status >= 200 && status < 300) return 'OK';
      if (status >= 400 && status < 500) return 'FAILED_PRECONDITION';
      if (status >= 500 && status < 600) return 'INTERNAL';
      // A redirect (never followed: it could carry the token elsewhere), 1xx, or nonsense.
      return 'UNKNOWN';
  }
}

/**
 * The one table that decides whether a failed call is worth another attempt.
 *
 * Transient faults are retried by Temporal's retry policy; everything else is final. NOT_FOUND,
 * UNIMPLEMENTED and FAILED_PRECONDITION never reach this table from the activities: they are answers the
 * workflow acts on, returned as values.
 */
export const RETRYABLE_RPC_CODES: ReadonlySet<RpcCodeName> = new Set<RpcCodeName>([
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'RESOURCE_EXHAUSTED',
  'INTERNAL',
  'UNKNOWN',
  'ABORTED',
]);

/** Whether a call that failed with `code` may be tried again. */
export function isRetryable(code: RpcCodeName): boolean {
  return RETRYABLE_RPC_CODES.has(code);
}
