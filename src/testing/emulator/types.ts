/** The emulator's public options and records: how it is started, scripted and faulted, and what it logs. */
import type { RpcCodeName } from '../../domain/rpc-code';

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
 * Faults injected into the operations routes (cancel, get, list, wait).
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
   * Epoch milliseconds until which every operations-route request (cancel, get, list, wait) answers 503
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
  /**
   * Only cancels (`POST {name}:cancel`), only GETs of an operation, only waits (`POST {name}:wait`), or only IAM
   * Credentials' `generateAccessToken` calls. @default cancels, GETs and waits
   */
  route?: 'cancel' | 'get' | 'wait' | 'iam';
  /** Only requests for this operation name (no leading slash), or, with `iam`, this account. @default any */
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
 * A scheduled change of state: it happens once `afterPolls` polls of the operation have been answered since the
 * trigger, or `afterMs` milliseconds have passed since it, whichever comes first. With neither, it happens at
 * the trigger. A poll is an answered GET, a list page that includes the operation, or an answered wait. The GET
 * or list that reaches `afterPolls` still shows the old state; the next one shows the new state. A wait shows the
 * state its own poll leads to (see {@link ScriptedOperation}).
 */
export interface Transition {
  /** The state to move to. */
  to: OperationState;
  /** Number of polls of this operation (answered GETs, list pages that include it, answered waits), from the trigger. */
  afterPolls?: number;
  /** Wall-clock milliseconds from the trigger. */
  afterMs?: number;
}

/**
 * One operation the emulator serves, and how it behaves.
 *
 * Every observation of the operation counts one poll towards {@link Transition.afterPolls}: an answered GET, a
 * ListOperations page that includes it (filtered-out operations and later pages count nothing), and an answered
 * WaitOperation. A GET or a list shows the state before its poll advances it, so an accepted cancel with the
 * default `afterCancel` shows `CANCELLED` on the second GET or list after it. A wait counts its poll before it
 * answers and shows where that leads: it answers as soon as the operation is done, or would be done by that one
 * poll, so a wait after such a cancel answers `CANCELLED` at once.
 */
export interface ScriptedOperation {
  /**
   * The resource name without a leading slash: `projects/p/locations/l/operations/op-1`,
   * `organizations/o/locations/global/operations/x`, `operations/a/b/c`, or any bare name. Segments hold only
   * `[A-Za-z0-9._~@()-]` (Firestore's `(default)` database included).
   */
  name: string;
  /** When set, requests under any other API version answer 404 `NOT_FOUND`. */
  apiVersion?: string;
  /**
   * The service the operation belongs to, such as `alloydb.googleapis.com`: it appears in error details, and
   * {@link GoogleEmulator.configureService} gives it a behaviour (lists that ignore filters, no `:wait`).
   */
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
   * The first N requests for this operation (GETs, waits and cancels together) answer 404 `NOT_FOUND`, as a
   * just-created operation that is not visible yet. They count no poll, and lists leave it out meanwhile.
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
  /** Every GET and wait answers this error envelope at once; the operation still advances as if polled. */
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

/**
 * How the operations of one service (their {@link ScriptedOperation.service}) are served; see
 * {@link GoogleEmulator.configureService}.
 */
export interface ServiceBehaviour {
  /**
   * What ListOperations does with its `filter`: `'honour'` answers only the operations it matches (and 400
   * `INVALID_ARGUMENT` for a filter it cannot parse); `'ignore'` answers every operation, as some services do.
   * @default 'honour'
   */
  listFilter?: 'honour' | 'ignore';
  /**
   * Whether the service implements WaitOperation (`POST {name}:wait`); without it a wait answers 501
   * `UNIMPLEMENTED`.
   * @default true
   */
  wait?: boolean;
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
  route: 'cancel' | 'get' | 'list' | 'wait' | 'metadata' | 'token' | 'iam' | 'other';
  /**
   * The operation name for cancel, get and wait, the parent for list (absent for the root `operations` list), the
   * target account for `iam`.
   */
  name?: string;
  /** The API version in the path, e.g. `v1beta`. */
  apiVersion?: string;
  /** Raw request body. */
  body: string;
  /** The token of an `Authorization: Bearer` header, if any. */
  bearer?: string;
  /** Whether {@link RecordedRequest.bearer} was a valid access token or trusted JWT. */
  authorized: boolean;
  /** The account the bearer acts as (whose token it is), when it was valid. */
  principal?: string;
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

/** What a connection's first request asked for: the Operations API or the metadata server. */
export type ConnectionKind = 'api' | 'metadata';

/** Counts of TCP connections the emulator accepted (see {@link GoogleEmulator.connections}). */
export interface ConnectionStats {
  accepted: number;
  open: number;
  peakOpen: number;
}
