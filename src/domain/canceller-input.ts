/**
 * The inputs of `cancelOperation` and `awaitOperation`, and their validation: one JSON object each (the Web
 * UI's Start Workflow form passes exactly one argument), checked field by field before anything is sent.
 *
 * Pure: safe to import from workflow code.
 */
import type { Duration } from '@temporalio/common';
import { DEFAULT_POLL_SCHEDULE, POLL_SCHEDULES, type PollSchedule, type PollScheduleName } from './backoff';
import { parseDuration } from './durations';
import { InvalidArgumentError } from './invalid-argument';
import { isAccountEmail } from './scope-policy';
import { parseOperationRef, type OperationRef, type OperationRefInput } from './operation-ref';

/**
 * How a canceller learns the operation's state: `get` polls GetOperation on the schedule; `wait` calls
 * WaitOperation (`POST {name}:wait`), which answers when the operation is done or its timeout passes, and falls
 * back to `get` for good when the service does not support it.
 */
export type PollMode = 'get' | 'wait';

/**
 * The longest a WaitOperation call asks the service to wait: just under the 60 s that Google's front ends and most
 * proxies allow a request, so the call ends with the service's answer, not a cut connection; and long enough that a
 * long wait costs fewer calls than the default schedule's one a minute (the worker's HTTP client waits for a wait's
 * answer this long plus a margin, not its usual 30 s).
 */
export const WAIT_CALL_MAX_MS = 58_000;

/**
 * A wait that ends at its phase's deadline is given this long beyond it to bring its answer back: the activity asks
 * the service to wait until this long before its schedule-to-close time.
 */
export const WAIT_ANSWER_MARGIN_MS = 3_000;

/** How often to poll GetOperation: a named schedule, and/or its parts (which override the named ones). */
export interface PollOptions {
  /** A named schedule (see `POLL_SCHEDULES`): `default`, `balanced`, `prompt` or `frugal`. @default "default" */
  schedule?: PollScheduleName;
  /** @default "1s" */
  initialInterval?: Duration;
  /** @default 1.3 */
  backoffCoefficient?: number;
  /** @default "60s" */
  maximumInterval?: Duration;
  /**
   * `get`: poll GetOperation on the schedule. `wait`: call WaitOperation instead, one call after another (each asks
   * the service to answer when the operation is done, or after at most 58 s); on a service without it, poll
   * GetOperation on the schedule. @default "get"
   */
  mode?: PollMode;
}

/** The identity a canceller acts as. */
export interface ActAs {
  /**
   * A service account the worker impersonates for this canceller's calls, instead of acting as itself. It must
   * match the worker's `LRO_IMPERSONATION_ALLOWED`. @default the worker's own identity
   */
  impersonate?: string;
}

/** The input of `cancelOperation`. */
export interface CancelOperationInput extends OperationRefInput, ActAs {
  /** How long to wait for the cancel to be confirmed. @default "1h" */
  timeout?: Duration;
  poll?: PollOptions;
  /**
   * How long a NOT_FOUND answer is taken as "not visible yet" (a just-created operation) before the outcome
   * is `NOT_FOUND`. @default "30s"
   */
  notFoundGracePeriod?: Duration;
}

/** The input of `awaitOperation`: wait for the operation, and cancel it when `timeout` passes. */
export interface AwaitOperationInput extends OperationRefInput, ActAs {
  /** How long to wait for the operation to finish on its own. Required. */
  timeout: Duration;
  poll?: PollOptions;
  /** Cancel the operation when the timeout passes. @default true */
  cancelOnTimeout?: boolean;
  /** How long to wait for the cancel to be confirmed after the timeout. @default "1h" */
  cancelTimeout?: Duration;
  /** As in {@link CancelOperationInput}. @default "30s" */
  notFoundGracePeriod?: Duration;
}

/** Defaults, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;
export const DEFAULT_NOT_FOUND_GRACE_MS = 30 * 1000;

/** A validated input, with durations in milliseconds. */
export interface CancellerSettings {
  ref: OperationRef;
  /** `cancel`: cancel at once; `await`: wait until `waitMs`, then cancel if `cancelOnTimeout`. */
  mode: 'cancel' | 'await';
  /** For `await`: how long to wait for the operation before the timeout fires. */
  waitMs: number;
  cancelOnTimeout: boolean;
  /** How long to wait for confirmation of a cancel. */
  cancelTimeoutMs: number;
  notFoundGraceMs: number;
  schedule: PollSchedule;
  /** How the operation's state is read: GetOperation on the schedule, or WaitOperation. */
  pollMode: PollMode;
  /** The service account to act as, if any. */
  impersonate?: string;
}

const REF_FIELDS = ['operation', 'service', 'apiVersion', 'impersonate'];
const CANCEL_FIELDS = new Set([...REF_FIELDS, 'timeout', 'poll', 'notFoundGracePeriod']);
const AWAIT_FIELDS = new Set([
  ...REF_FIELDS,
  'timeout',
  'poll',
  'cancelOnTimeout',
  'cancelTimeout',
  'notFoundGracePeriod',
]);
const POLL_FIELDS = new Set(['schedule', 'initialInterval', 'backoffCoefficient', 'maximumInterval', 'mode']);
const POLL_MODES: readonly PollMode[] = ['get', 'wait'];

/** Validates a `cancelOperation` input; throws {@link InvalidArgumentError} naming the field and the rule. */
export function validateCancelInput(input: unknown): CancellerSettings {
  const object = requireObject('input', input, CANCEL_FIELDS);
  const ref = parseOperationRef(object as unknown as OperationRefInput);
  const cancelTimeoutMs =
    object['timeout'] === undefined ? DEFAULT_TIMEOUT_MS : parseDuration('timeout', object['timeout']);
  return {
    ref,
    mode: 'cancel',
    waitMs: 0,
    cancelOnTimeout: true,
    cancelTimeoutMs,
    notFoundGraceMs: parseGrace(object),
    ...parsePoll(object['poll']),
    ...parseImpersonate(object),
  };
}

/** Validates an `awaitOperation` input; throws {@link InvalidArgumentError} naming the field and the rule. */
export function validateAwaitInput(input: unknown): CancellerSettings {
  const object = requireObject('input', input, AWAIT_FIELDS);
  const ref = parseOperationRef(object as unknown as OperationRefInput);
  if (object['timeout'] === undefined) throw new InvalidArgumentError('timeout', 'is required (e.g. "2h")');
  const cancelOnTimeout = object['cancelOnTimeout'] ?? true;
  if (typeof cancelOnTimeout !== 'boolean') {
    throw new InvalidArgumentError('cancelOnTimeout', 'must be true or false', cancelOnTimeout);
  }
  return {
    ref,
    mode: 'await',
    waitMs: parseDuration('timeout', object['timeout']),
    cancelOnTimeout,
    cancelTimeoutMs:
      object['cancelTimeout'] === undefined
        ? DEFAULT_TIMEOUT_MS
        : parseDuration('cancelTimeout', object['cancelTimeout']),
    notFoundGraceMs: parseGrace(object),
    ...parsePoll(object['poll']),
    ...parseImpersonate(object),
  };
}

function parseImpersonate(object: Record<string, unknown>): { impersonate?: string } {
  const value = object['impersonate'];
  if (value === undefined) return {};
  if (typeof value !== 'string' || !isAccountEmail(value)) {
    throw new InvalidArgumentError(
      'impersonate',
      'must be a service-account email in lower case, e.g. canceller@my-project.iam.gserviceaccount.com',
      value,
    );
  }
  return { impersonate: value };
}

function parseGrace(object: Record<string, unknown>): number {
  const value = object['notFoundGracePeriod'];
  return value === undefined ? DEFAULT_NOT_FOUND_GRACE_MS : parseDuration('notFoundGracePeriod', value, 0);
}

function parsePoll(value: unknown): { schedule: PollSchedule; pollMode: PollMode } {
  if (value === undefined) return { schedule: DEFAULT_POLL_SCHEDULE, pollMode: 'get' };
  const poll = requireObject('poll', value, POLL_FIELDS);
  const mode = poll['mode'] ?? 'get';
  if (!POLL_MODES.includes(mode as PollMode)) {
    throw new InvalidArgumentError('poll.mode', `must be one of ${POLL_MODES.join(', ')}`, mode);
  }
  return { schedule: parseSchedule(poll), pollMode: mode as PollMode };
}

function parseSchedule(poll: Record<string, unknown>): PollSchedule {
  const name = poll['schedule'] ?? 'default';
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(POLL_SCHEDULES, name)) {
    throw new InvalidArgumentError('poll.schedule', `must be one of ${Object.keys(POLL_SCHEDULES).join(', ')}`, name);
  }
  const base: PollSchedule = POLL_SCHEDULES[name as PollScheduleName];
  const initialIntervalMs =
    poll['initialInterval'] === undefined
      ? base.initialIntervalMs
      : parseDuration('poll.initialInterval', poll['initialInterval']);
  const maximumIntervalMs =
    poll['maximumInterval'] === undefined
      ? Math.max(base.maximumIntervalMs, initialIntervalMs)
      : parseDuration('poll.maximumInterval', poll['maximumInterval']);
  if (maximumIntervalMs < initialIntervalMs) {
    throw new InvalidArgumentError(
      'poll.maximumInterval',
      'must not be less than poll.initialInterval',
      poll['maximumInterval'],
    );
  }
  const coefficient = poll['backoffCoefficient'] ?? base.backoffCoefficient;
  if (typeof coefficient !== 'number' || !Number.isFinite(coefficient) || coefficient < 1 || coefficient > 10) {
    throw new InvalidArgumentError('poll.backoffCoefficient', 'must be a number from 1 to 10', coefficient);
  }
  return {
    initialIntervalMs,
    backoffCoefficient: coefficient,
    maximumIntervalMs,
    jitter: base.jitter,
  };
}

function requireObject(field: string, value: unknown, allowed: ReadonlySet<string>): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(field, 'must be a JSON object', value);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      const path = field === 'input' ? key : `${field}.${key}`;
      throw new InvalidArgumentError(path, `is not a known field (known: ${[...allowed].join(', ')})`);
    }
  }
  // JSON null (a cleared field in a form) means "not given".
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== null));
}
