/**
 * A local stand-in for Google's REST Operations API (google.longrunning) and the GCE metadata server.
 *
 * Node only. It listens on 127.0.0.1 unless told otherwise (a container needs 0.0.0.0).
 */
import { generateKeyPairSync, randomBytes, randomInt, verify as verifySignature } from 'node:crypto';
import { createServer } from 'node:http';
import type { KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { seededRandom } from './seeded-random';
import { HTTP_STATUS_BY_RPC_CODE, RpcCode, isRpcCodeName } from '../domain/rpc-code';
import type { RpcCodeName } from '../domain/rpc-code';

/** How an {@link GoogleEmulator} is started. */
export interface EmulatorOptions {
  /**
   * TCP port to listen on; 0 picks a free one.
   * @default 0
   */
  port?: number;
  /**
   * Address to listen on. Keep the default outside containers: the emulator issues tokens to anyone.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Lifetime, in seconds, of the access tokens the metadata server and the token endpoint issue.
   * @default 3600
   */
  tokenLifetimeSeconds?: number;
  /**
   * Project the metadata server reports.
   * @default 'emulator-project'
   */
  projectId?: string;
  /**
   * Faults to inject from the start; see {@link GoogleEmulator.setFaults}.
   * @default {} (none)
   */
  faults?: FaultOptions;
  /**
   * Seed of the deterministic generator that decides fault injection, so a failing run can be replayed.
   * @default 1
   */
  seed?: number;
}

/**
 * Faults injected into the operations routes (cancel, get, list).
 *
 * Each rate is a probability from 0 to 1, drawn per request in the order the fields are listed here; a request
 * gets at most one fault. A faulted request never reaches the operation: it counts no poll and cancels nothing,
 * except a stall, which answers normally, late.
 */
export interface FaultOptions {
  /**
   * 503 with the Google error envelope, status `UNAVAILABLE`.
   * @default 0
   */
  unavailableRate?: number;
  /**
   * 429 `RESOURCE_EXHAUSTED` envelope with a `google.rpc.RetryInfo` detail and a `Retry-After` header.
   * @default 0
   */
  rateLimitRate?: number;
  /**
   * The RetryInfo `retryDelay` of those 429s, a protobuf JSON duration such as `'2s'` or `'0.5s'`; the
   * `Retry-After` header carries its seconds rounded up.
   * @default '1s'
   */
  retryDelay?: string;
  /**
   * Reset the connection without answering.
   * @default 0
   */
  resetRate?: number;
  /**
   * Answer normally, but only after {@link FaultOptions.stallMs}. The request takes effect when it arrives.
   * @default 0
   */
  stallRate?: number;
  /**
   * How long a stalled answer is held back, in milliseconds.
   * @default 5000
   */
  stallMs?: number;
  /**
   * 200 with a JSON content type and a truncated body (`{"name": "projects/`).
   * @default 0
   */
  malformedJsonRate?: number;
  /**
   * 502 with an HTML page, as a proxy or a wrong host answers.
   * @default 0
   */
  htmlRate?: number;
  /**
   * Milliseconds added before every operations-route answer, faulted or not.
   * @default 0
   */
  latencyMs?: number;
  /**
   * Epoch milliseconds until which the token routes (metadata server and token endpoint) answer 503.
   * @default undefined (never)
   */
  tokenFailUntil?: number;
  /**
   * Epoch milliseconds until which every operations-route request (cancel, get, list) answers 503
   * `UNAVAILABLE`: a Google outage. Such a request never reaches the operation.
   * @default undefined (never)
   */
  operationsFailUntil?: number;
}

/**
 * The name recorded in {@link RecordedRequest.fault} for each injected fault: one of {@link FaultOptions}'s random
 * faults, or `'scripted'` for an answer queued with {@link GoogleEmulator.failNext}.
 */
export type FaultName =
  'unavailable' | 'rate-limit' | 'reset' | 'stall' | 'malformed-json' | 'html' | 'scripted' | 'outage';

/** Which requests a {@link GoogleEmulator.failNext} answer applies to; every given field must match. */
export interface ScriptedFailureFilter {
  /** Only cancels (`POST {name}:cancel`) or only GETs of an operation. @default either */
  route?: 'cancel' | 'get';
  /** Only requests for this operation name (no leading slash). @default any operation */
  name?: string;
}

/** A Google error envelope as a {@link GoogleEmulator.failNext} answer. */
export interface ScriptedError {
  /** The google.rpc code: the envelope's `status`, and the HTTP status from `HTTP_STATUS_BY_RPC_CODE`. Not `OK`. */
  code: RpcCodeName;
  /** The envelope's `message`. @default a message Google would send for `code` */
  message?: string;
  /**
   * Adds a `google.rpc.RetryInfo` detail with this `retryDelay`, a protobuf JSON duration such as `'2s'`.
   * @default no RetryInfo
   */
  retryDelay?: string;
  /** Adds a `Retry-After` header with this value, e.g. `'3'` or an HTTP date. @default no header */
  retryAfter?: string;
  /** How many matching requests get this answer. @default 1 */
  times?: number;
}

/** The connection is reset without an answer. */
export interface ScriptedReset {
  reset: true;
  /** @default 1 */
  times?: number;
}

/** The request takes effect as usual, but its answer is held back this long (past a client's timeout, say). */
export interface ScriptedStall {
  stallMs: number;
  /** @default 1 */
  times?: number;
}

/** Any answer at all, e.g. a proxy's `200 {}` or an Operation of another name. */
export interface ScriptedRawAnswer {
  /** HTTP status. */
  status: number;
  /** The body, sent as is with a JSON content type. */
  body: string;
  /** @default 1 */
  times?: number;
}

/** What a {@link GoogleEmulator.failNext} answer is: an error envelope, a reset, a stall, or a raw answer. */
export type ScriptedFailure = ScriptedError | ScriptedReset | ScriptedStall | ScriptedRawAnswer;

type RandomFaultName = Exclude<FaultName, 'scripted' | 'outage'>;

/** Where an emulated operation stands. */
export type OperationState =
  /** `done: false`, neither error nor response. */
  | { kind: 'running' }
  /** `done: true` with `error: {code: 1, message: 'Operation was cancelled.'}`. */
  | { kind: 'cancelled' }
  | /** `done: true` with `response`, by default `{'@type': 'type.googleapis.com/google.protobuf.Empty'}`. */
    { kind: 'succeeded'; response?: Record<string, unknown> }
    /** `done: true` with this `error` (a numeric google.rpc code, no status string). */
  | { kind: 'failed'; error: { code: number; message: string } }
  /** `done: true` with neither error nor response, which operations.proto allows. */
  | { kind: 'done-without-result' }
  /** Deleted or expired: every request answers 404 `NOT_FOUND` from now on. */
  | { kind: 'gone' };

/**
 * A scheduled change of state: it happens once `afterPolls` GETs of the operation have been answered since the
 * trigger, or `afterMs` milliseconds have passed since it, whichever comes first. With neither, it happens at
 * the trigger. The GET that reaches `afterPolls` still shows the old state; the next one shows the new state.
 */
export interface Transition {
  /** The state to move to. */
  to: OperationState;
  /** Number of answered GETs of this operation, counted from the trigger. */
  afterPolls?: number;
  /** Wall-clock milliseconds from the trigger. */
  afterMs?: number;
}

/** One operation the emulator serves, and how it behaves. */
export interface ScriptedOperation {
  /**
   * The resource name without a leading slash: `projects/p/locations/l/operations/op-1`,
   * `organizations/o/locations/global/operations/x`, `operations/a/b/c`, or any bare name. Segments hold only
   * `[A-Za-z0-9._~@-]`.
   */
  name: string;
  /** When set, requests under any other API version answer 404 `NOT_FOUND`. */
  apiVersion?: string;
  /** Informational label such as `alloydb.googleapis.com`; it appears in error details. */
  service?: string;
  /** Base metadata, e.g. `{'@type': 'type.googleapis.com/google.cloud.alloydb.v1beta.OperationMetadata'}`. */
  metadata?: Record<string, unknown>;
  /**
   * The metadata field that reports an accepted cancel (`false` before, `true` after), or `'none'` for
   * services whose metadata has no such field.
   * @default 'requestedCancellation'
   */
  cancelFlag?: 'requestedCancellation' | 'cancelRequested' | 'none';
  /**
   * The state at creation.
   * @default { kind: 'running' }
   */
  initial?: OperationState;
  /**
   * The first N requests for this operation (GETs and cancels together) answer 404 `NOT_FOUND`, as a
   * just-created operation that is not visible yet. They count no poll.
   * @default 0
   */
  visibleAfterPolls?: number;
  /**
   * How a cancel is answered: `'accept'` is 200 `{}`, `'accept-empty'` 200 with an empty body; the others are
   * the Google error envelope for UNIMPLEMENTED, FAILED_PRECONDITION, NOT_FOUND or PERMISSION_DENIED. An
   * accepted cancel of an operation that is already done answers 400 `FAILED_PRECONDITION`.
   * @default 'accept'
   */
  onCancel?: 'accept' | 'accept-empty' | 'unimplemented' | 'failed-precondition' | 'not-found' | 'permission-denied';
  /**
   * What an accepted cancel leads to, counted from the first accepted cancel.
   * @default { to: { kind: 'cancelled' }, afterPolls: 1 }
   */
  afterCancel?: Transition;
  /** A change that happens without any cancel, counted from creation (an operation that completes on its own). */
  finish?: Transition;
  /** Every GET answers this error envelope; the operation still advances as if polled. */
  getError?: RpcCodeName;
  /** When done with a response, add a string field `padding` of this many bytes to it. */
  responsePaddingBytes?: number;
  /** Add a string field `padding` of this many bytes to the metadata. */
  metadataPaddingBytes?: number;
  /**
   * Leave `done` out while the operation runs, as proto3 JSON does for a false boolean; clients must read a
   * missing `done` as false.
   * @default false
   */
  omitFalseDone?: boolean;
}

/** One request the emulator received, in {@link GoogleEmulator.requests}. */
export interface RecordedRequest {
  /** Epoch milliseconds at which the request arrived. */
  at: number;
  /** HTTP method. */
  method: string;
  /** Request path without the query string, exactly as sent (not percent-decoded). */
  path: string;
  /** Raw query string without the `?`, or `''`. */
  query: string;
  /** Which route it matched. */
  route: 'cancel' | 'get' | 'list' | 'metadata' | 'token' | 'other';
  /** The operation name for cancel and get, the parent for list (absent for the root `operations` list). */
  name?: string;
  /** The API version in the path, e.g. `v1beta`. */
  apiVersion?: string;
  /** Raw request body. */
  body: string;
  /** The token of an `Authorization: Bearer` header, if any. */
  bearer?: string;
  /** Whether {@link RecordedRequest.bearer} was a valid access token or trusted JWT. */
  authorized: boolean;
  /** HTTP status answered: 0 until the answer is written, and for a reset or a client that left first. */
  status: number;
  /** The injected fault, if any. */
  fault?: FaultName;
  /** Request headers, lower-cased names, including `authorization`. */
  headers: Record<string, string>;
}

/** A service-account key file, as the Cloud console downloads it. */
export interface ServiceAccountKey {
  /** Always `service_account`. */
  type: 'service_account';
  /** The service account, `emulator-sa-N@PROJECT.iam.gserviceaccount.com`; JWTs must carry it as `iss`. */
  client_email: string;
  /** PKCS#8 PEM private key. */
  private_key: string;
  /** Key id, sent as the JWT header's `kid`. */
  private_key_id: string;
  /** {@link EMULATOR_UNIVERSE_DOMAIN}. */
  universe_domain: string;
  /** The emulator's project. */
  project_id: string;
  /** A random numeric client id. */
  client_id: string;
  /** The emulator's `POST /token` JWT-bearer endpoint. */
  token_uri: string;
}

/** The universe domain of keys from {@link GoogleEmulator.trustServiceAccountKey}; see there for why. */
export const EMULATOR_UNIVERSE_DOMAIN = 'emulator.test';

const DEFAULT_PROJECT_ID = 'emulator-project';
const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;
const DEFAULT_STALL_MS = 5000;
const DEFAULT_RETRY_DELAY = '1s';
const DEFAULT_AFTER_CANCEL: Transition = { to: { kind: 'cancelled' }, afterPolls: 1 };
const EMPTY_RESPONSE = { '@type': 'type.googleapis.com/google.protobuf.Empty' } as const;
const CANCELLED_ERROR = { code: RpcCode.CANCELLED, message: 'Operation was cancelled.' } as const;

const VERSION_PATTERN = /^v\d+((alpha|beta)\d*)?$/;
const NAME_PATTERN = /^[A-Za-z0-9._~@-]+(\/[A-Za-z0-9._~@-]+)*$/;
const DURATION_PATTERN = /^(\d+)(\.\d{1,9})?s$/;
/** A non-empty, printable header value. */
const HEADER_VALUE_PATTERN = /^[\x20-\x7e]*[\x21-\x7e][\x20-\x7e]*$/;
const JSON_TYPE = 'application/json; charset=UTF-8';
const HTML_TYPE = 'text/html; charset=UTF-8';
const METADATA_PREFIX = '/computeMetadata/v1/';

/** What a connection's first request asked for: the Operations API or the metadata server. */
export type ConnectionKind = 'api' | 'metadata';

/** Counts of TCP connections the emulator accepted (see {@link GoogleEmulator.connections}). */
export interface ConnectionStats {
  accepted: number;
  open: number;
  peakOpen: number;
}

function opened(stats: ConnectionStats): void {
  stats.accepted += 1;
  stats.open += 1;
  stats.peakOpen = Math.max(stats.peakOpen, stats.open);
}
const MAX_BODY_BYTES = 1024 * 1024;
const NUMERIC_PROJECT_ID = '123456789012';
const INSTANCE_ID = '4242424242424242424';
const ZONE = `projects/${NUMERIC_PROJECT_ID}/zones/us-central1-a`;
const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

const FAULT_RATES: readonly (readonly [RandomFaultName, keyof FaultOptions])[] = [
  ['unavailable', 'unavailableRate'],
  ['rate-limit', 'rateLimitRate'],
  ['reset', 'resetRate'],
  ['stall', 'stallRate'],
  ['malformed-json', 'malformedJsonRate'],
  ['html', 'htmlRate'],
];

const CANCEL_REJECTIONS: Readonly<
  Record<'unimplemented' | 'failed-precondition' | 'not-found' | 'permission-denied', RpcCodeName>
> = {
  unimplemented: 'UNIMPLEMENTED',
  'failed-precondition': 'FAILED_PRECONDITION',
  'not-found': 'NOT_FOUND',
  'permission-denied': 'PERMISSION_DENIED',
};

interface PendingTransition {
  readonly transition: Transition;
  readonly startedAt: number;
  readonly pollsAtStart: number;
}

interface OperationEntry {
  readonly script: ScriptedOperation;
  state: OperationState;
  cancelRequested: boolean;
  /** GETs answered while visible. */
  polls: number;
  hiddenRequestsLeft: number;
  afterCancel?: PendingTransition;
  finish?: PendingTransition;
}

interface PendingFailure {
  readonly filter: ScriptedFailureFilter;
  readonly failure: ScriptedFailure;
  left: number;
}

interface TrustedKey {
  readonly publicKey: KeyObject;
  readonly email: string;
}

type Answer =
  | { readonly kind: 'reply'; readonly status: number; readonly headers: Record<string, string>; readonly body: string }
  | { readonly kind: 'reset' };

interface RouteMatch {
  readonly route: RecordedRequest['route'];
  readonly name?: string;
  readonly apiVersion?: string;
}

/**
 * Google's REST Operations API and GCE metadata server on one local port, scripted per operation, with fault
 * injection and a log of every request.
 *
 * Operations routes: `POST /{version}/{name}:cancel`, `GET /{version}/{name}`, `GET /{version}/{parent}/operations`
 * and `GET /{version}/operations`, all behind bearer auth (an access token from the metadata server or
 * {@link GoogleEmulator.trustServiceAccountKey}'s self-signed JWTs). Point google-auth-library at it with
 * `GCE_METADATA_HOST` set to {@link GoogleEmulator.hostPort}.
 *
 * @example
 * ```ts
 * const emulator = await GoogleEmulator.start();
 * emulator.addOperation({ name: 'projects/p/locations/l/operations/op-1' });
 * process.env.GCE_METADATA_HOST = emulator.hostPort; // ADC now takes its tokens from the emulator
 * const token = await new GoogleAuth({ scopes: 'https://www.googleapis.com/auth/cloud-platform' }).getAccessToken();
 * await fetch(`${emulator.url}/v1/projects/p/locations/l/operations/op-1:cancel`, {
 *   method: 'POST',
 *   headers: { authorization: `Bearer ${token}` },
 * });
 * emulator.operation('projects/p/locations/l/operations/op-1'); // metadata.requestedCancellation: true
 * await emulator.close();
 * ```
 */
export class GoogleEmulator {
  /** Base URL, `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** `127.0.0.1:PORT`, the form `GCE_METADATA_HOST` and `LRO_EMULATOR_HOST` take. */
  readonly hostPort: string;

  private readonly server: Server;
  private readonly projectId: string;
  private readonly tokenLifetimeSeconds: number;
  private readonly serviceAccountEmail: string;
  private faults: FaultOptions;
  private readonly random: () => number;
  private log: RecordedRequest[] = [];
  private readonly operations = new Map<string, OperationEntry>();
  private readonly issuedTokens: string[] = [];
  private readonly liveTokens = new Map<string, number>();
  private readonly trustedKeys = new Map<string, TrustedKey>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pendingFailures: PendingFailure[] = [];
  private closing: Promise<void> | undefined;
  /** Open connections by what their first request asked for, and the most open at once. */
  private readonly connectionKinds = new WeakMap<Socket, ConnectionKind>();
  private readonly connectionCounts: Record<ConnectionKind | 'all', ConnectionStats> = {
    all: { accepted: 0, open: 0, peakOpen: 0 },
    api: { accepted: 0, open: 0, peakOpen: 0 },
    metadata: { accepted: 0, open: 0, peakOpen: 0 },
  };

  private constructor(server: Server, port: number, options: EmulatorOptions) {
    this.server = server;
    const host = options.host ?? '127.0.0.1';
    this.hostPort = `${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    this.url = `http://${this.hostPort}`;
    this.projectId = options.projectId ?? DEFAULT_PROJECT_ID;
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
    this.serviceAccountEmail = `emulator@${this.projectId}.iam.gserviceaccount.com`;
    this.faults = { ...options.faults };
    this.random = seededRandom(options.seed ?? 1);
  }

  /** Start an emulator (on 127.0.0.1 by default) and resolve once it listens. */
  static async start(options: EmulatorOptions = {}): Promise<GoogleEmulator> {
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be 0..65535, got ${port}`);
    const lifetime = options.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
    if (!Number.isFinite(lifetime) || lifetime <= 0) {
      throw new RangeError(`tokenLifetimeSeconds must be positive, got ${lifetime}`);
    }
    if (options.seed !== undefined && !Number.isFinite(options.seed)) {
      throw new RangeError(`seed must be a finite number, got ${options.seed}`);
    }
    validateFaults(options.faults ?? {});

    const server = createServer();
    // Google's front ends keep idle connections open for minutes; Node's 5 s default would make clients
    // reconnect between bursts and misstate how many connections a worker opens.
    server.keepAliveTimeout = 55_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const emulator = new GoogleEmulator(server, (server.address() as AddressInfo).port, options);
    server.on('connection', (socket: Socket) => emulator.onConnection(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => emulator.onRequest(req, res));
    return emulator;
  }

  /** Every request received since start or the last {@link GoogleEmulator.clearLog}, oldest first. */
  get requests(): readonly RecordedRequest[] {
    return this.log.slice();
  }

  /**
   * TCP connections accepted since start (never reset, not even by {@link GoogleEmulator.clearLog}): a client
   * that reuses keep-alive connections shows a count far below its number of requests.
   */
  get connectionsAccepted(): number {
    return this.connectionCounts.all.accepted;
  }

  /**
   * Connections accepted, open now and the most open at once since start: all of them, or those whose first
   * request went to the Operations API (`api`) or to the metadata server (`metadata`). A client that keeps
   * to its pool's limit never shows a `peakOpen` above it.
   */
  connections(kind: ConnectionKind | 'all' = 'all'): ConnectionStats {
    return { ...this.connectionCounts[kind] };
  }

  /** Serve an operation, replacing any existing one of the same name; `finish` starts counting now. */
  addOperation(script: ScriptedOperation): void {
    validateScript(script);
    const now = Date.now();
    const entry: OperationEntry = {
      script: { ...script },
      state: script.initial ?? { kind: 'running' },
      cancelRequested: false,
      polls: 0,
      hiddenRequestsLeft: script.visibleAfterPolls ?? 0,
    };
    if (script.finish) entry.finish = { transition: script.finish, startedAt: now, pollsAtStart: 0 };
    this.operations.set(script.name, entry);
    advance(entry, now);
  }

  /**
   * The Operation JSON a GET would return now, without counting a poll; `undefined` if the operation is not
   * registered or gone. Visibility, `apiVersion` and `getError` are not applied.
   */
  operation(name: string): Record<string, unknown> | undefined {
    const entry = this.operations.get(name);
    if (!entry) return undefined;
    advance(entry, Date.now());
    return render(entry);
  }

  /** Move an operation to `state` by hand; pending transitions still apply while it is running. */
  setState(name: string, state: OperationState): void {
    const entry = this.operations.get(name);
    if (!entry) throw new Error(`No emulated operation named ${name}`);
    entry.state = state;
    if (state.kind !== 'running') clearPending(entry);
  }

  /** Replace the fault configuration (the random sequence carries on, it is not reseeded). */
  setFaults(faults: FaultOptions): void {
    validateFaults(faults);
    this.faults = { ...faults };
  }

  /** How many logged requests match every given field of `filter`. */
  count(filter: { route?: RecordedRequest['route']; name?: string; method?: string }): number {
    return this.log.filter(
      (r) =>
        (filter.route === undefined || r.route === filter.route) &&
        (filter.name === undefined || r.name === filter.name) &&
        (filter.method === undefined || r.method === filter.method.toUpperCase()),
    ).length;
  }

  /**
   * Answer the next `times` authorized cancel or GET requests that match `filter` with the Google error envelope
   * for `answer.code`, whatever the operation's script says. Such a request is logged with `fault: 'scripted'`,
   * never reaches the operation (it counts no poll and cancels nothing) and takes no random fault; the usual
   * {@link FaultOptions.latencyMs} still applies. Auth is checked first: a request without a valid bearer
   * answers 401 as usual and uses up nothing. Calls queue: a request takes the oldest matching answer left.
   *
   * @example
   * ```ts
   * // The first GetOperation of `name` is rate limited, and says to come back in 2 s.
   * emulator.failNext({ route: 'get', name }, { code: 'RESOURCE_EXHAUSTED', retryDelay: '2s' });
   * ```
   */
  failNext(filter: ScriptedFailureFilter, answer: ScriptedFailure): void {
    if (filter.route !== undefined && filter.route !== 'cancel' && filter.route !== 'get') {
      throw new RangeError(`route must be 'cancel' or 'get', got '${String(filter.route)}'`);
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

  /** Drop every {@link GoogleEmulator.failNext} answer not used yet. */
  clearScriptedFailures(): void {
    this.pendingFailures.length = 0;
  }

  /** Every access token issued so far, oldest first, including revoked and expired ones. */
  tokensIssued(): string[] {
    return this.issuedTokens.slice();
  }

  /**
   * Invalidate every access token issued so far: the next call with one answers 401 `UNAUTHENTICATED`.
   * Self-signed JWTs are not affected; the client library caches those for their whole hour.
   */
  revokeTokens(): void {
    this.liveTokens.clear();
  }

  /**
   * Make a new RSA service-account key whose self-signed JWTs the operations routes accept, and return its key
   * file. Its `universe_domain` is {@link EMULATOR_UNIVERSE_DOMAIN}, not `googleapis.com`: google-auth-library
   * then signs its own JWT per request instead of posting to Google's fixed token URL, which fails offline.
   * `token_uri` points at this emulator's `POST /token`, which exchanges such a JWT for an access token.
   */
  trustServiceAccountKey(): ServiceAccountKey {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privateKeyId = randomBytes(20).toString('hex');
    const email = `emulator-sa-${this.trustedKeys.size + 1}@${this.projectId}.iam.gserviceaccount.com`;
    this.trustedKeys.set(privateKeyId, { publicKey, email });
    return {
      type: 'service_account',
      project_id: this.projectId,
      private_key_id: privateKeyId,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: email,
      client_id: String(randomInt(1e9, 1e10 - 1)) + String(randomInt(1e9, 1e10 - 1)),
      token_uri: `${this.url}/token`,
      universe_domain: EMULATOR_UNIVERSE_DOMAIN,
    };
  }

  /** Forget the request log. */
  clearLog(): void {
    this.log = [];
  }

  /** Stop listening, drop held-back answers and destroy open keep-alive sockets. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private onConnection(socket: Socket): void {
    opened(this.connectionCounts.all);
    socket.once('close', () => {
      this.connectionCounts.all.open -= 1;
      const kind = this.connectionKinds.get(socket);
      if (kind) this.connectionCounts[kind].open -= 1;
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    if (!this.connectionKinds.has(socket)) {
      const kind: ConnectionKind = (req.url ?? '').startsWith(METADATA_PREFIX) ? 'metadata' : 'api';
      this.connectionKinds.set(socket, kind);
      opened(this.connectionCounts[kind]);
    }
    const at = Date.now();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      try {
        this.dispatch(req, res, at, Buffer.concat(chunks).toString('utf8'), size > MAX_BODY_BYTES);
      } catch (error) {
        if (!res.headersSent && !res.destroyed) {
          const message = error instanceof Error ? error.message : String(error);
          writeAnswer(res, envelope('INTERNAL', `Emulator failure: ${message}`));
        }
      }
    });
  }

  private dispatch(req: IncomingMessage, res: ServerResponse, at: number, body: string, tooLarge: boolean): void {
    const target = req.url ?? '/';
    const queryStart = target.indexOf('?');
    const path = queryStart === -1 ? target : target.slice(0, queryStart);
    const query = queryStart === -1 ? '' : target.slice(queryStart + 1);
    const method = (req.method ?? 'GET').toUpperCase();
    const headers = flattenHeaders(req.headers);
    const bearer = parseBearer(headers['authorization']);
    const match = this.matchRoute(method, path);

    const record: RecordedRequest = {
      at,
      method,
      path,
      query,
      route: match.route,
      ...(match.name !== undefined && { name: match.name }),
      ...(match.apiVersion !== undefined && { apiVersion: match.apiVersion }),
      body,
      ...(bearer !== undefined && { bearer }),
      authorized: bearer !== undefined && this.isValidBearer(bearer, at),
      status: 0,
      headers,
    };
    this.log.push(record);

    if (tooLarge) {
      this.respond(res, record, envelope('INVALID_ARGUMENT', 'Request payload size exceeds the limit.'), 0);
      return;
    }
    switch (match.route) {
      case 'cancel':
      case 'get':
      case 'list': {
        if (this.faults.operationsFailUntil !== undefined && at < this.faults.operationsFailUntil) {
          record.fault = 'outage';
          this.respond(res, record, envelope('UNAVAILABLE', 'The service is currently unavailable.'), 0);
          return;
        }
        const scripted = record.authorized ? this.takeScriptedFailure(match) : undefined;
        if (scripted) {
          record.fault = 'scripted';
          const latency = this.faults.latencyMs ?? 0;
          if ('stallMs' in scripted) {
            const answer = this.answerOperations(match, method, body, new URLSearchParams(query));
            this.respond(res, record, answer, latency + scripted.stallMs);
          } else {
            this.respond(res, record, scripted, latency);
          }
          return;
        }
        const fault = this.pickFault();
        if (fault) record.fault = fault;
        const latency = this.faults.latencyMs ?? 0;
        if (fault !== undefined && fault !== 'stall') {
          this.respond(res, record, this.faultAnswer(fault), latency);
          return;
        }
        const answer = record.authorized
          ? this.answerOperations(match, method, body, new URLSearchParams(query))
          : unauthenticated(bearer !== undefined);
        this.respond(
          res,
          record,
          answer,
          latency + (fault === 'stall' ? (this.faults.stallMs ?? DEFAULT_STALL_MS) : 0),
        );
        return;
      }
      case 'metadata':
      case 'token':
        this.respond(res, record, this.answerMetadata(method, path, headers, body, new URLSearchParams(query)), 0);
        return;
      case 'other':
        this.respond(res, record, htmlNotFound(path), 0);
        return;
    }
  }

  private matchRoute(method: string, path: string): RouteMatch {
    if (path.startsWith(METADATA_PREFIX)) {
      return {
        route: /^instance\/service-accounts\/[^/]+\/token$/.test(path.slice(METADATA_PREFIX.length))
          ? 'token'
          : 'metadata',
      };
    }
    if (path === '/token' && method === 'POST') return { route: 'token' };
    const versioned = /^\/([^/]+)\/(.+)$/.exec(path);
    if (!versioned || !VERSION_PATTERN.test(versioned[1] ?? '')) return { route: 'other' };
    const apiVersion = versioned[1] as string;
    const rest = versioned[2] as string;
    if (method === 'POST' && rest.endsWith(':cancel') && rest.length > ':cancel'.length) {
      return { route: 'cancel', name: rest.slice(0, -':cancel'.length), apiVersion };
    }
    if (method !== 'GET') return { route: 'other' };
    if (this.operations.has(rest)) return { route: 'get', name: rest, apiVersion };
    if (rest === 'operations') return { route: 'list', apiVersion };
    if (rest.endsWith('/operations')) return { route: 'list', name: rest.slice(0, -'/operations'.length), apiVersion };
    return { route: 'get', name: rest, apiVersion };
  }

  /** The answer of the oldest {@link GoogleEmulator.failNext} entry matching this request, consuming one use. */
  private takeScriptedFailure(match: RouteMatch): Answer | { stallMs: number } | undefined {
    if (match.route !== 'cancel' && match.route !== 'get') return undefined;
    const index = this.pendingFailures.findIndex(
      ({ filter }) =>
        (filter.route === undefined || filter.route === match.route) &&
        (filter.name === undefined || filter.name === match.name),
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
    const answer = envelope(code, message ?? defaultMessage(code, match.name ?? ''), details);
    return retryAfter === undefined ? answer : { ...answer, headers: { ...answer.headers, 'retry-after': retryAfter } };
  }

  private pickFault(): RandomFaultName | undefined {
    for (const [fault, rateKey] of FAULT_RATES) {
      const rate = this.faults[rateKey] as number | undefined;
      // Draw only for configured faults, so adding one fault does not reshuffle when the others fire.
      if (rate !== undefined && rate > 0 && this.random() < rate) return fault;
    }
    return undefined;
  }

  private faultAnswer(fault: Exclude<RandomFaultName, 'stall'>): Answer {
    switch (fault) {
      case 'unavailable':
        return envelope('UNAVAILABLE', 'The service is currently unavailable.');
      case 'rate-limit': {
        const retryDelay = this.faults.retryDelay ?? DEFAULT_RETRY_DELAY;
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
        return {
          kind: 'reply',
          status: 502,
          headers: { 'content-type': HTML_TYPE },
          body: googleHtmlPage(
            502,
            'Server Error',
            'The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds.',
          ),
        };
    }
  }

  private answerOperations(match: RouteMatch, method: string, body: string, query: URLSearchParams): Answer {
    const now = Date.now();
    if (match.route === 'list') return this.answerList(match, query, now);
    const name = match.name ?? '';
    const entry = this.reach(name, match.apiVersion, now);
    if (!entry) return notFound(name);

    if (match.route === 'get') {
      const json = entry.script.getError ? undefined : render(entry);
      entry.polls += 1;
      advance(entry, now);
      if (entry.script.getError) return envelope(entry.script.getError, defaultMessage(entry.script.getError, name));
      return json ? reply(200, json) : notFound(name);
    }

    if (method === 'POST' && !isEmptyCancelBody(body)) {
      return envelope('INVALID_ARGUMENT', invalidBodyMessage(body), [
        badRequest('body', 'The request body must be empty.'),
      ]);
    }
    const onCancel = entry.script.onCancel ?? 'accept';
    if (onCancel !== 'accept' && onCancel !== 'accept-empty') {
      const code = CANCEL_REJECTIONS[onCancel];
      return envelope(
        code,
        cancelRejectionMessage(code, name),
        code === 'PERMISSION_DENIED'
          ? [
              errorInfo(
                'IAM_PERMISSION_DENIED',
                { resource: name, permission: 'operations.cancel' },
                entry.script.service,
              ),
            ]
          : [],
      );
    }
    if (entry.state.kind !== 'running') {
      return envelope('FAILED_PRECONDITION', `Operation "${name}" has already completed and cannot be cancelled.`);
    }
    if (!entry.cancelRequested) {
      entry.cancelRequested = true;
      entry.afterCancel = {
        transition: entry.script.afterCancel ?? DEFAULT_AFTER_CANCEL,
        startedAt: now,
        pollsAtStart: entry.polls,
      };
      advance(entry, now);
    }
    return onCancel === 'accept-empty'
      ? { kind: 'reply', status: 200, headers: { 'content-type': JSON_TYPE }, body: '' }
      : reply(200, {});
  }

  /** The entry a GET or cancel reaches, consuming one hidden request of a not-yet-visible operation. */
  private reach(name: string, apiVersion: string | undefined, now: number): OperationEntry | undefined {
    const entry = this.operations.get(name);
    if (!entry) return undefined;
    if (entry.script.apiVersion !== undefined && entry.script.apiVersion !== apiVersion) return undefined;
    advance(entry, now);
    if (entry.state.kind === 'gone') return undefined;
    if (entry.hiddenRequestsLeft > 0) {
      entry.hiddenRequestsLeft -= 1;
      return undefined;
    }
    return entry;
  }

  private answerList(match: RouteMatch, query: URLSearchParams, now: number): Answer {
    const prefix = match.name === undefined ? 'operations/' : `${match.name}/operations/`;
    const operations: Record<string, unknown>[] = [];
    for (const entry of this.operations.values()) {
      if (!entry.script.name.startsWith(prefix) || entry.hiddenRequestsLeft > 0) continue;
      if (entry.script.apiVersion !== undefined && entry.script.apiVersion !== match.apiVersion) continue;
      advance(entry, now);
      const json = render(entry);
      if (json) operations.push(json);
    }

    const pageSizeText = query.get('pageSize');
    const pageSize = pageSizeText === null ? 0 : Number(pageSizeText);
    if (!Number.isInteger(pageSize) || pageSize < 0) {
      return envelope('INVALID_ARGUMENT', `Invalid value at 'page_size' (TYPE_INT32), "${pageSizeText ?? ''}"`);
    }
    const pageToken = query.get('pageToken') ?? '';
    const offset = pageToken === '' ? 0 : Number(Buffer.from(pageToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0 || offset > operations.length) {
      return envelope('INVALID_ARGUMENT', 'Invalid page token.');
    }
    const end = pageSize === 0 ? operations.length : Math.min(operations.length, offset + pageSize);
    const page: Record<string, unknown> = { operations: operations.slice(offset, end) };
    if (end < operations.length) page['nextPageToken'] = Buffer.from(String(end), 'utf8').toString('base64url');
    return reply(200, page);
  }

  private answerMetadata(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string,
    query: URLSearchParams,
  ): Answer {
    if (path === '/token') return this.answerTokenExchange(body);

    const withFlavor = (answer: Answer): Answer =>
      answer.kind === 'reply' ? { ...answer, headers: { ...answer.headers, 'metadata-flavor': 'Google' } } : answer;
    const text = (status: number, value: string): Answer =>
      withFlavor({ kind: 'reply', status, headers: { 'content-type': 'application/text' }, body: value });

    if (headers['metadata-flavor'] !== 'Google') {
      return withFlavor({
        kind: 'reply',
        status: 403,
        headers: { 'content-type': HTML_TYPE },
        body: googleHtmlPage(
          403,
          'Forbidden',
          `Your client does not have permission to get URL <code>${escapeHtml(path)}</code> from this server. Missing Metadata-Flavor:Google header.`,
        ),
      });
    }
    if (method !== 'GET') return text(405, 'Method Not Allowed');

    const key = path.slice(METADATA_PREFIX.length).replace(/\/$/, '');
    const account = /^instance\/service-accounts\/([^/]+)(?:\/(.*))?$/.exec(key);
    if (account) {
      if (account[1] !== 'default' && account[1] !== this.serviceAccountEmail) return text(404, 'Not Found');
      switch (account[2] ?? '') {
        case '':
          return text(200, 'aliases\nemail\nidentity\nscopes\ntoken\n');
        case 'email':
          return text(200, this.serviceAccountEmail);
        case 'aliases':
          return text(200, 'default');
        case 'scopes':
          return text(200, `${CLOUD_PLATFORM_SCOPE}\n`);
        case 'token': {
          if (this.tokenRouteFailing()) return text(503, 'Service Unavailable');
          return withFlavor(reply(200, this.issueToken(), 'application/json'));
        }
        default:
          return text(404, 'Not Found');
      }
    }
    switch (key) {
      case 'instance':
        return query.get('recursive') === 'true'
          ? withFlavor(reply(200, this.instanceJson(), 'application/json'))
          : text(200, 'attributes/\nhostname\nid\nservice-accounts/\nzone\n');
      case 'instance/id':
        return text(200, INSTANCE_ID);
      case 'instance/zone':
        return text(200, ZONE);
      case 'instance/hostname':
        return text(200, `emulator.us-central1-a.c.${this.projectId}.internal`);
      case 'instance/service-accounts':
        return text(200, `default/\n${this.serviceAccountEmail}/\n`);
      case 'project/project-id':
        return text(200, this.projectId);
      case 'project/numeric-project-id':
        return text(200, NUMERIC_PROJECT_ID);
      case 'universe/universe-domain':
        return text(200, 'googleapis.com');
      default:
        return text(404, 'Not Found');
    }
  }

  private answerTokenExchange(body: string): Answer {
    if (this.tokenRouteFailing()) return reply(503, { error: 'temporarily_unavailable' });
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return reply(400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' });
    }
    if (!this.isTrustedJwt(form.get('assertion') ?? '', Date.now())) {
      return reply(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    }
    return reply(200, this.issueToken());
  }

  private tokenRouteFailing(): boolean {
    return this.faults.tokenFailUntil !== undefined && Date.now() < this.faults.tokenFailUntil;
  }

  private issueToken(): Record<string, unknown> {
    const token = `ya29.emulator.${randomBytes(24).toString('base64url')}`;
    this.issuedTokens.push(token);
    this.liveTokens.set(token, Date.now() + this.tokenLifetimeSeconds * 1000);
    return { access_token: token, expires_in: this.tokenLifetimeSeconds, token_type: 'Bearer' };
  }

  private instanceJson(): Record<string, unknown> {
    return {
      id: INSTANCE_ID,
      zone: ZONE,
      hostname: `emulator.us-central1-a.c.${this.projectId}.internal`,
      serviceAccounts: {
        default: { aliases: ['default'], email: this.serviceAccountEmail, scopes: [CLOUD_PLATFORM_SCOPE] },
        [this.serviceAccountEmail]: {
          aliases: ['default'],
          email: this.serviceAccountEmail,
          scopes: [CLOUD_PLATFORM_SCOPE],
        },
      },
    };
  }

  private isValidBearer(token: string, now: number): boolean {
    const expiresAt = this.liveTokens.get(token);
    if (expiresAt !== undefined) return now < expiresAt;
    return this.isTrustedJwt(token, now);
  }

  private isTrustedJwt(token: string, now: number): boolean {
    const parts = token.split('.');
    if (parts.length !== 3 || this.trustedKeys.size === 0) return false;
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = parseJsonObject(Buffer.from(headerPart, 'base64url').toString('utf8'));
    const payload = parseJsonObject(Buffer.from(payloadPart, 'base64url').toString('utf8'));
    if (!header || !payload || header['alg'] !== 'RS256') return false;
    const exp = payload['exp'];
    if (typeof exp !== 'number' || exp * 1000 <= now) return false;
    const kid = header['kid'];
    const byKid = typeof kid === 'string' ? this.trustedKeys.get(kid) : undefined;
    const candidates = byKid ? [byKid] : [...this.trustedKeys.values()];
    const signed = Buffer.from(`${headerPart}.${payloadPart}`, 'utf8');
    const signature = Buffer.from(signaturePart, 'base64url');
    return candidates.some(
      (key) => payload['iss'] === key.email && verifySignature('RSA-SHA256', signed, key.publicKey, signature),
    );
  }

  private respond(res: ServerResponse, record: RecordedRequest, answer: Answer, delayMs: number): void {
    const send = (): void => {
      if (res.destroyed || res.writableEnded) return;
      if (answer.kind === 'reset') {
        res.socket?.resetAndDestroy();
        return;
      }
      record.status = answer.status;
      writeAnswer(res, answer);
    };
    if (delayMs <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      send();
    }, delayMs);
    this.timers.add(timer);
  }
}

function writeAnswer(res: ServerResponse, answer: Answer): void {
  if (answer.kind === 'reset') return;
  res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
  res.end(answer.body);
}

function reply(status: number, json: unknown, contentType = JSON_TYPE): Answer {
  return { kind: 'reply', status, headers: { 'content-type': contentType }, body: JSON.stringify(json) };
}

/** Google's AIP-193 error envelope, whose `code` is the HTTP status. */
function envelope(code: RpcCodeName, message: string, details: unknown[] = []): Answer & { kind: 'reply' } {
  const status = HTTP_STATUS_BY_RPC_CODE[code];
  return {
    kind: 'reply',
    status,
    headers: { 'content-type': JSON_TYPE },
    body: JSON.stringify({ error: { code: status, message, status: code, details } }),
  };
}

function notFound(name: string): Answer {
  return envelope('NOT_FOUND', `Operation "${name}" not found.`);
}

function unauthenticated(hadBearer: boolean): Answer {
  return hadBearer
    ? envelope(
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        [errorInfo('ACCESS_TOKEN_TYPE_UNSUPPORTED')],
      )
    : envelope(
        'UNAUTHENTICATED',
        'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        [errorInfo('CREDENTIALS_MISSING')],
      );
}

function errorInfo(reason: string, metadata: Record<string, string> = {}, service?: string): Record<string, unknown> {
  return {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason,
    domain: 'googleapis.com',
    metadata: service === undefined ? metadata : { ...metadata, service },
  };
}

function badRequest(field: string, description: string): Record<string, unknown> {
  return { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description }] };
}

function cancelRejectionMessage(code: RpcCodeName, name: string): string {
  switch (code) {
    case 'UNIMPLEMENTED':
      return 'Operation cancellation is not supported by this service.';
    case 'FAILED_PRECONDITION':
      return `Operation "${name}" is not cancellable.`;
    case 'PERMISSION_DENIED':
      return `Permission denied to cancel operation "${name}" (or it may not exist).`;
    default:
      return defaultMessage(code, name);
  }
}

function defaultMessage(code: RpcCodeName, name: string): string {
  switch (code) {
    case 'NOT_FOUND':
      return `Operation "${name}" not found.`;
    case 'PERMISSION_DENIED':
      return `The caller does not have permission to access operation "${name}".`;
    case 'UNAUTHENTICATED':
      return 'Request had invalid authentication credentials.';
    case 'UNAVAILABLE':
      return 'The service is currently unavailable.';
    case 'DEADLINE_EXCEEDED':
      return 'Deadline exceeded.';
    case 'RESOURCE_EXHAUSTED':
      return 'Quota exceeded.';
    case 'UNIMPLEMENTED':
      return 'Method not implemented.';
    case 'INTERNAL':
      return 'Internal error encountered.';
    default:
      return `${code}: request for operation "${name}" failed.`;
  }
}

function invalidBodyMessage(body: string): string {
  const json = parseJsonObject(body);
  const field = json ? Object.keys(json)[0] : undefined;
  return field === undefined
    ? 'Invalid JSON payload received. The request body must be empty.'
    : `Invalid JSON payload received. Unknown name "${field}": Cannot find field.`;
}

function isEmptyCancelBody(body: string): boolean {
  if (body.trim() === '') return true;
  const json = parseJsonObject(body);
  return json !== undefined && Object.keys(json).length === 0;
}

function htmlNotFound(path: string): Answer {
  return {
    kind: 'reply',
    status: 404,
    headers: { 'content-type': HTML_TYPE },
    body: googleHtmlPage(
      404,
      'Not Found',
      `The requested URL <code>${escapeHtml(path)}</code> was not found on this server.  <ins>That’s all we know.</ins>`,
    ),
  };
}

function googleHtmlPage(status: number, title: string, text: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang=en>',
    '  <meta charset=utf-8>',
    '  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">',
    `  <title>Error ${status} (${title})!!1</title>`,
    `  <p><b>${status}.</b> <ins>That’s an error.</ins>`,
    `  <p>${text}`,
    '',
  ].join('\n');
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Apply the earliest due transition, if any; a done state never changes again. */
function advance(entry: OperationEntry, now: number): void {
  if (entry.state.kind !== 'running') return;
  let chosen: 'afterCancel' | 'finish' | undefined;
  let chosenAt = Infinity;
  for (const which of ['afterCancel', 'finish'] as const) {
    const dueAt = dueTime(entry[which], entry.polls, now);
    if (dueAt !== undefined && dueAt < chosenAt) {
      chosen = which;
      chosenAt = dueAt;
    }
  }
  if (chosen === undefined) return;
  const pending = entry[chosen] as PendingTransition;
  delete entry[chosen];
  entry.state = pending.transition.to;
  if (entry.state.kind !== 'running') clearPending(entry);
}

/**
 * When a pending transition became due, or `undefined` if it is not due. Poll-counted ones are checked right
 * after every poll, so one found due now became due now; a time-based one became due at its deadline.
 */
function dueTime(pending: PendingTransition | undefined, polls: number, now: number): number | undefined {
  if (!pending) return undefined;
  const { afterPolls, afterMs } = pending.transition;
  if (afterPolls === undefined && afterMs === undefined) return pending.startedAt;
  const byTime = afterMs !== undefined && now - pending.startedAt >= afterMs ? pending.startedAt + afterMs : undefined;
  const byPolls = afterPolls !== undefined && polls - pending.pollsAtStart >= afterPolls ? now : undefined;
  if (byTime === undefined) return byPolls;
  return byPolls === undefined ? byTime : Math.min(byTime, byPolls);
}

function clearPending(entry: OperationEntry): void {
  delete entry.afterCancel;
  delete entry.finish;
}

function render(entry: OperationEntry): Record<string, unknown> | undefined {
  const { script, state } = entry;
  if (state.kind === 'gone') return undefined;
  const json: Record<string, unknown> = { name: script.name };
  const metadata: Record<string, unknown> = { ...script.metadata };
  const flag = script.cancelFlag ?? 'requestedCancellation';
  if (flag !== 'none') metadata[flag] = entry.cancelRequested;
  if (script.metadataPaddingBytes) metadata['padding'] = 'x'.repeat(script.metadataPaddingBytes);
  if (Object.keys(metadata).length > 0) json['metadata'] = metadata;
  switch (state.kind) {
    case 'running':
      if (!script.omitFalseDone) json['done'] = false;
      break;
    case 'cancelled':
      json['done'] = true;
      json['error'] = { ...CANCELLED_ERROR };
      break;
    case 'succeeded': {
      json['done'] = true;
      const response: Record<string, unknown> = { ...(state.response ?? EMPTY_RESPONSE) };
      if (script.responsePaddingBytes) response['padding'] = 'x'.repeat(script.responsePaddingBytes);
      json['response'] = response;
      break;
    }
    case 'failed':
      json['done'] = true;
      json['error'] = { code: state.error.code, message: state.error.message };
      break;
    case 'done-without-result':
      json['done'] = true;
      break;
  }
  return json;
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function parseBearer(authorization: string | undefined): string | undefined {
  const match = authorization === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
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

function validateScript(script: ScriptedOperation): void {
  if (!NAME_PATTERN.test(script.name)) {
    throw new RangeError(
      `Operation name must be slash-separated [A-Za-z0-9._~@-] segments without a leading slash, got '${script.name}'`,
    );
  }
  if (script.apiVersion !== undefined && !VERSION_PATTERN.test(script.apiVersion)) {
    throw new RangeError(`apiVersion must look like v1, v1beta or v2alpha1, got '${script.apiVersion}'`);
  }
  if (script.getError !== undefined && !isRpcCodeName(script.getError)) {
    throw new RangeError(`getError must be a google.rpc code name, got '${String(script.getError)}'`);
  }
  for (const key of ['visibleAfterPolls', 'responsePaddingBytes', 'metadataPaddingBytes'] as const) {
    const value = script[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      throw new RangeError(`${key} must be a non-negative integer, got ${value}`);
    }
  }
  for (const key of ['afterCancel', 'finish'] as const) {
    const transition = script[key];
    if (transition === undefined) continue;
    const { afterPolls, afterMs } = transition;
    if (afterPolls !== undefined && !(Number.isInteger(afterPolls) && afterPolls >= 0)) {
      throw new RangeError(`${key}.afterPolls must be a non-negative integer, got ${afterPolls}`);
    }
    if (afterMs !== undefined && !(Number.isFinite(afterMs) && afterMs >= 0)) {
      throw new RangeError(`${key}.afterMs must be >= 0, got ${afterMs}`);
    }
  }
}
