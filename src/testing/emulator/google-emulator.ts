/**
 * A local stand-in for Google's REST Operations API (google.longrunning) and the GCE metadata server.
 *
 * Node only. It listens on 127.0.0.1 unless told otherwise (a container needs 0.0.0.0).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { Credentials } from './credentials';
import { Dispatcher } from './dispatcher';
import { FaultInjector } from './faults';
import { IamCredentials } from './iam-credentials';
import { MetadataServer } from './metadata-server';
import { OperationStore } from './operations';
import { RequestLog } from './request-log';
import { HeldWaits } from './waits';
import type {
  ConnectionKind,
  ConnectionStats,
  EmulatorOptions,
  FaultOptions,
  OperationState,
  RecordedRequest,
  ScriptedFailure,
  ScriptedFailureFilter,
  ScriptedOperation,
  ServiceAccountKey,
  ServiceBehaviour,
} from './types';

const DEFAULT_PROJECT_ID = 'emulator-project';
const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;

/**
 * Google's REST Operations API and GCE metadata server on one local port, scripted per operation, with fault
 * injection and a log of every request.
 *
 * Operations routes: `POST /{version}/{name}:cancel`, `GET /{version}/{name}`, `POST /{version}/{name}:wait`,
 * `GET /{version}/{parent}/operations` and `GET /{version}/operations`, all behind bearer auth (an access token
 * from the metadata server or {@link GoogleEmulator.trustServiceAccountKey}'s self-signed JWTs). Point
 * google-auth-library at it with `GCE_METADATA_HOST` set to {@link GoogleEmulator.hostPort}.
 *
 * ListOperations pages with `pageSize` (at most 1000; absent or 0 is every operation) and `pageToken`, in the
 * order operations were first added, and honours a `filter` of `done = true|false` and `metadata.<field> = "..."`
 * terms joined by `AND` (400 `INVALID_ARGUMENT` for any other) unless the service ignores filters
 * ({@link GoogleEmulator.configureService}). A `locations/-` parent spans every location but the unreachable ones
 * ({@link GoogleEmulator.setUnreachable}). Every operation a page includes counts one poll, as a GET does.
 *
 * WaitOperation takes a body `{"timeout": "30s"}` (a proto3 duration; empty, `{}` or above one minute means one
 * minute) and answers the Operation as soon as it is done (a timed transition, a cancel, `setState`), or would
 * be done by the one poll the wait counts, or else at the timeout, done or not.
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
  private readonly log = new RequestLog();
  private readonly operations = new OperationStore();
  private readonly faults: FaultInjector;
  private readonly credentials: Credentials;
  private readonly metadata: MetadataServer;
  private readonly dispatcher: Dispatcher;
  private closing: Promise<void> | undefined;

  private constructor(server: Server, port: number, options: EmulatorOptions, faults: FaultInjector) {
    this.server = server;
    const host = options.host ?? '127.0.0.1';
    this.hostPort = `${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    this.url = `http://${this.hostPort}`;
    const projectId = options.projectId ?? DEFAULT_PROJECT_ID;
    const tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
    this.faults = faults;
    this.credentials = new Credentials(projectId, tokenLifetimeSeconds, `${this.url}/token`);
    this.metadata = new MetadataServer(projectId, this.credentials, () => faults.tokenRoutesFailing());
    this.dispatcher = new Dispatcher({
      log: this.log,
      operations: this.operations,
      faults,
      credentials: this.credentials,
      metadata: this.metadata,
      iam: new IamCredentials(this.credentials),
      waits: new HeldWaits(this.operations),
    });
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
    const faults = new FaultInjector(options.faults ?? {}, options.seed ?? 1);

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
    const emulator = new GoogleEmulator(server, (server.address() as AddressInfo).port, options, faults);
    server.on('connection', (socket: Socket) => emulator.dispatcher.onConnection(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => emulator.dispatcher.onRequest(req, res));
    return emulator;
  }

  /** Every request received since start or the last {@link GoogleEmulator.clearLog}, oldest first. */
  get requests(): readonly RecordedRequest[] {
    return this.log.requests;
  }

  /**
   * TCP connections accepted since start (never reset, not even by {@link GoogleEmulator.clearLog}): a client
   * that reuses keep-alive connections shows a count far below its number of requests.
   */
  get connectionsAccepted(): number {
    return this.log.connections('all').accepted;
  }

  /**
   * Connections accepted, open now and the most open at once since start: all of them, or those whose first
   * request went to the Operations API (`api`) or to the metadata server (`metadata`). A client that keeps
   * to its pool's limit never shows a `peakOpen` above it.
   */
  connections(kind: ConnectionKind | 'all' = 'all'): ConnectionStats {
    return this.log.connections(kind);
  }

  /** Serve an operation, replacing any existing one of the same name; `finish` starts counting now. */
  addOperation(script: ScriptedOperation): void {
    this.operations.add(script);
  }

  /**
   * The Operation JSON a GET would return now, without counting a poll; `undefined` if the operation is not
   * registered or gone. Visibility, `apiVersion` and `getError` are not applied.
   */
  operation(name: string): Record<string, unknown> | undefined {
    return this.operations.operation(name);
  }

  /** Move an operation to `state` by hand; pending transitions still apply while it is running. */
  setState(name: string, state: OperationState): void {
    this.operations.setState(name, state);
  }

  /**
   * Make the operations whose {@link ScriptedOperation.service} is `service` behave as `behaviour` says, replacing
   * what it said before (`{}` restores the defaults). A list ignores its `filter` when any operation under its
   * parent belongs to a service told `listFilter: 'ignore'`; a wait for an operation of a service told
   * `wait: false` answers 501 `UNIMPLEMENTED`, after a 404 for an operation that does not exist.
   *
   * @example
   * ```ts
   * emulator.configureService('alloydb.googleapis.com', { listFilter: 'ignore', wait: false });
   * ```
   */
  configureService(service: string, behaviour: ServiceBehaviour): void {
    this.operations.configureService(service, behaviour);
  }

  /**
   * Make these locations (`projects/p/locations/europe-west9`, `organizations/o/locations/l`) unreachable to
   * lists, replacing the previous ones (`[]` makes every location reachable). A list whose parent is one of them
   * answers 503 `UNAVAILABLE`; a list of `projects/p/locations/-` leaves their operations out and names, in
   * `unreachable` on every page, the unreachable locations of `projects/p`. GETs, waits and cancels are not
   * affected.
   */
  setUnreachable(locations: string[]): void {
    this.operations.setUnreachable(locations);
  }

  /** Replace the fault configuration (the random sequence carries on, it is not reseeded). */
  setFaults(faults: FaultOptions): void {
    this.faults.set(faults);
  }

  /** How many logged requests match every given field of `filter`. */
  count(filter: { route?: RecordedRequest['route']; name?: string; method?: string }): number {
    return this.log.count(filter);
  }

  /**
   * Answer the next `times` authorized cancel, GET or wait requests that match `filter` with the Google error envelope
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
    this.faults.queue(filter, answer);
  }

  /** Drop every {@link GoogleEmulator.failNext} answer not used yet. */
  clearScriptedFailures(): void {
    this.faults.clearQueue();
  }

  /** Every access token issued so far, oldest first, including revoked and expired ones. */
  tokensIssued(): string[] {
    return this.credentials.tokensIssued();
  }

  /** The metadata server's service account: the identity a worker here acts as when it names no other. */
  get serviceAccountEmail(): string {
    return this.metadata.serviceAccountEmail;
  }

  /**
   * Let `caller` (by default the metadata server's account, a worker's own identity) mint tokens for the service
   * account `target` through IAM Credentials' `generateAccessToken`; any other call for `target` answers 403
   * `PERMISSION_DENIED`. The tokens minted act as `target`: requests made with them are logged with it as their
   * {@link RecordedRequest.principal}.
   */
  allowImpersonation(target: string, caller: string = this.serviceAccountEmail): void {
    this.credentials.allowImpersonation(target, caller);
  }

  /**
   * Invalidate every access token issued so far: the next call with one answers 401 `UNAUTHENTICATED`.
   * Self-signed JWTs are not affected; the client library caches those for their whole hour.
   */
  revokeTokens(): void {
    this.credentials.revokeTokens();
  }

  /**
   * Make a new RSA service-account key whose self-signed JWTs the operations routes accept, and return its key
   * file. Its `universe_domain` is {@link EMULATOR_UNIVERSE_DOMAIN}, not `googleapis.com`: google-auth-library
   * then signs its own JWT per request instead of posting to Google's fixed token URL, which fails offline.
   * `token_uri` points at this emulator's `POST /token`, which exchanges such a JWT for an access token.
   */
  trustServiceAccountKey(): ServiceAccountKey {
    return this.credentials.trustServiceAccountKey();
  }

  /** Forget the request log. */
  clearLog(): void {
    this.log.clear();
  }

  /** Stop listening, drop held-back answers and held waits, and destroy open sockets. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      this.dispatcher.dropHeldAnswers();
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
    });
    return this.closing;
  }
}
