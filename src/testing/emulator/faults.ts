/**
 * Faults on the operations routes: the random ones of {@link FaultOptions}, drawn from a seeded generator, and
 * the queue of scripted answers behind `GoogleEmulator.failNext`.
 */
import { isRpcCodeName } from '../../domain/rpc-code';
import { seededRandom } from '../seeded-random';
import { defaultMessage, envelope, errorInfo, htmlError, JSON_TYPE, type Answer } from './answers';
import type { FaultName, FaultOptions, RecordedRequest, ScriptedFailure, ScriptedFailureFilter } from './types';

/** The faults {@link FaultOptions} injects at random. */
export type RandomFaultName = Exclude<FaultName, 'scripted' | 'outage'>;

/** What a scripted failure does to a request: answer in its stead, or let it through to answer late. */
export type ScriptedAnswer = Answer | { stallMs: number };

const DEFAULT_STALL_MS = 5000;
const DEFAULT_RETRY_DELAY = '1s';
const DURATION_PATTERN = /^(\d+)(\.\d{1,9})?s$/;
/** A non-empty, printable header value. */
const HEADER_VALUE_PATTERN = /^[\x20-\x7e]*[\x21-\x7e][\x20-\x7e]*$/;

const FAULT_RATES: readonly (readonly [RandomFaultName, keyof FaultOptions])[] = [
  ['unavailable', 'unavailableRate'],
  ['rate-limit', 'rateLimitRate'],
  ['reset', 'resetRate'],
  ['stall', 'stallRate'],
  ['malformed-json', 'malformedJsonRate'],
  ['html', 'htmlRate'],
];

const SCRIPTABLE_ROUTES: ReadonlySet<RecordedRequest['route']> = new Set(['cancel', 'get', 'wait', 'iam']);

interface PendingFailure {
  readonly filter: ScriptedFailureFilter;
  readonly failure: ScriptedFailure;
  left: number;
}

/** The fault configuration in force, the seeded generator that draws from it, and the scripted-failure queue. */
export class FaultInjector {
  private options: FaultOptions;
  private readonly random: () => number;
  private readonly pendingFailures: PendingFailure[] = [];

  /** Throws a `RangeError` for an invalid configuration. */
  constructor(options: FaultOptions, seed: number) {
    validateFaults(options);
    this.options = { ...options };
    this.random = seededRandom(seed);
  }

  /** Replace the fault configuration (the random sequence carries on, it is not reseeded). */
  set(options: FaultOptions): void {
    validateFaults(options);
    this.options = { ...options };
  }

  /** Milliseconds added before every operations-route answer. */
  get latencyMs(): number {
    return this.options.latencyMs ?? 0;
  }

  /** How long a randomly stalled answer is held back. */
  get stallMs(): number {
    return this.options.stallMs ?? DEFAULT_STALL_MS;
  }

  /** Whether a request arriving at `at` falls in the configured operations outage. */
  operationsFailing(at: number): boolean {
    return this.options.operationsFailUntil !== undefined && at < this.options.operationsFailUntil;
  }

  /** Whether the token routes answer 503 now. */
  tokenRoutesFailing(): boolean {
    return this.options.tokenFailUntil !== undefined && Date.now() < this.options.tokenFailUntil;
  }

  /** Queue `answer` for the next `answer.times` requests matching `filter`; see `GoogleEmulator.failNext`. */
  queue(filter: ScriptedFailureFilter, answer: ScriptedFailure): void {
    if (filter.route !== undefined && !SCRIPTABLE_ROUTES.has(filter.route)) {
      throw new RangeError(`route must be 'cancel', 'get', 'wait' or 'iam', got '${String(filter.route)}'`);
    }
    if ('code' in answer) {
      if (!isRpcCodeName(answer.code) || answer.code === 'OK') {
        throw new RangeError(`code must be a google.rpc code name other than OK, got '${String(answer.code)}'`);
      }
      if (answer.retryDelay !== undefined && !DURATION_PATTERN.test(answer.retryDelay)) {
        throw new RangeError(
          `retryDelay must be a protobuf duration such as '1s' or '0.5s', got '${answer.retryDelay}'`,
        );
      }
      if (answer.retryAfter !== undefined && !HEADER_VALUE_PATTERN.test(answer.retryAfter)) {
        throw new RangeError(`retryAfter must be a header value such as '3', got '${answer.retryAfter}'`);
      }
    } else if ('stallMs' in answer) {
      if (!(Number.isFinite(answer.stallMs) && answer.stallMs >= 0)) {
        throw new RangeError(`stallMs must be >= 0, got ${answer.stallMs}`);
      }
    } else if ('status' in answer) {
      if (!(Number.isInteger(answer.status) && answer.status >= 100 && answer.status <= 599)) {
        throw new RangeError(`status must be an HTTP status, got ${answer.status}`);
      }
    } else if (answer.reset !== true) {
      throw new RangeError('answer must have a code, reset: true, stallMs, or a status and body');
    }
    const times = answer.times ?? 1;
    if (!(Number.isInteger(times) && times >= 1)) {
      throw new RangeError(`times must be a positive integer, got ${times}`);
    }
    this.pendingFailures.push({ filter: { ...filter }, failure: { ...answer }, left: times });
  }

  /** Drop every queued answer not used yet. */
  clearQueue(): void {
    this.pendingFailures.length = 0;
  }

  /**
   * The answer of the oldest queued entry matching a request of `route` for operation `name`, consuming one
   * use; only cancels, GETs, waits and (when an entry names the route) `generateAccessToken` calls take one.
   */
  takeScripted(route: RecordedRequest['route'], name: string | undefined): ScriptedAnswer | undefined {
    if (!SCRIPTABLE_ROUTES.has(route)) return undefined;
    const index = this.pendingFailures.findIndex(
      ({ filter }) =>
        (filter.route === route || (filter.route === undefined && route !== 'iam')) &&
        (filter.name === undefined || filter.name === name),
    );
    const pending = index === -1 ? undefined : this.pendingFailures[index];
    if (!pending) return undefined;
    pending.left -= 1;
    if (pending.left === 0) this.pendingFailures.splice(index, 1);
    const scripted = pending.failure;
    if ('stallMs' in scripted) return { stallMs: scripted.stallMs };
    if ('reset' in scripted) return { kind: 'reset' };
    if ('status' in scripted) {
      return { kind: 'reply', status: scripted.status, headers: { 'content-type': JSON_TYPE }, body: scripted.body };
    }
    const { code, message, retryDelay, retryAfter } = scripted;
    const details =
      retryDelay === undefined ? [] : [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay }];
    const answer = envelope(code, message ?? defaultMessage(code, name ?? ''), details);
    return retryAfter === undefined ? answer : { ...answer, headers: { ...answer.headers, 'retry-after': retryAfter } };
  }

  /** Draw the random fault of one request, if any. */
  pick(): RandomFaultName | undefined {
    for (const [fault, rateKey] of FAULT_RATES) {
      const rate = this.options[rateKey] as number | undefined;
      // Draw only for configured faults, so adding one fault does not reshuffle when the others fire.
      if (rate !== undefined && rate > 0 && this.random() < rate) return fault;
    }
    return undefined;
  }

  /** The answer a random fault gives in a request's stead. */
  answer(fault: Exclude<RandomFaultName, 'stall'>): Answer {
    switch (fault) {
      case 'unavailable':
        return envelope('UNAVAILABLE', 'The service is currently unavailable.');
      case 'rate-limit': {
        const retryDelay = this.options.retryDelay ?? DEFAULT_RETRY_DELAY;
        const answer = envelope(
          'RESOURCE_EXHAUSTED',
          "Quota exceeded for quota metric 'Operation requests' and limit 'Operation requests per minute'.",
          [
            errorInfo('RATE_LIMIT_EXCEEDED', { quota_metric: 'operation_requests', quota_limit_value: '60' }),
            { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay },
          ],
        );
        return { ...answer, headers: { ...answer.headers, 'retry-after': String(retryAfterSeconds(retryDelay)) } };
      }
      case 'reset':
        return { kind: 'reset' };
      case 'malformed-json':
        return { kind: 'reply', status: 200, headers: { 'content-type': JSON_TYPE }, body: '{"name": "projects/' };
      case 'html':
        return htmlError(
          502,
          'Server Error',
          'The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds.',
        );
    }
  }
}

function retryAfterSeconds(duration: string): number {
  const match = DURATION_PATTERN.exec(duration);
  return match ? Math.ceil(Number(`${match[1] ?? '0'}${match[2] ?? ''}`)) : 1;
}

function validateFaults(faults: FaultOptions): void {
  for (const [, key] of FAULT_RATES) {
    const rate = faults[key] as number | undefined;
    if (rate !== undefined && !(rate >= 0 && rate <= 1))
      throw new RangeError(`${key} must be within 0..1, got ${rate}`);
  }
  for (const key of ['stallMs', 'latencyMs'] as const) {
    const ms = faults[key];
    if (ms !== undefined && !(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`${key} must be >= 0, got ${ms}`);
  }
  if (faults.retryDelay !== undefined && !DURATION_PATTERN.test(faults.retryDelay)) {
    throw new RangeError(`retryDelay must be a protobuf duration such as '1s' or '0.5s', got '${faults.retryDelay}'`);
  }
  for (const key of ['tokenFailUntil', 'operationsFailUntil'] as const) {
    const until = faults[key];
    if (until !== undefined && !Number.isFinite(until)) {
      throw new RangeError(`${key} must be epoch milliseconds, got ${until}`);
    }
  }
}
