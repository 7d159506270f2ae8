/**
 * The two calls everything stands on, made right: `POST {name}:cancel` with an empty body and
 * `GET {name}`, over one shared undici dispatcher, with Google credentials sent only to allowed hosts, only for
 * what the worker's policy allows, and as the identity each canceller names. Each call is an OpenTelemetry span
 * (`call-span.ts`), a no-op unless the process installed a tracer provider.
 */
import { request, type Dispatcher } from 'undici';
import type { CancelAnswer, GetAnswer, ListCall, ListPage, OperationCall } from '../domain/call-answers';
import { boundMessage, parseErrorResponse, type GoogleCallError } from '../domain/google-error';
import { assertAllowed, type HostAllowlist } from '../domain/host-allowlist';
import { InvalidArgumentError } from '../domain/invalid-argument';
import { parseOperationRef, type OperationRef } from '../domain/operation-ref';
import { namesSameOperation, summarizeOperation, type OperationSummary } from '../domain/operation-summary';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../domain/package-version';
import { boundedErrorBody, redactCredentials } from '../domain/redaction';
import { isRetryable } from '../domain/rpc-code';
import { checkScope, type ScopePolicy } from '../domain/scope-policy';
import { traceGoogleCall, type GoogleCallSpan } from './call-span';
import { ImpersonationRefused, type RequestAuthorizer } from './google-auth';

/** Dependencies of {@link OperationsClient}. */
export interface OperationsClientOptions {
  authorizer: RequestAuthorizer;
  dispatcher: Dispatcher;
  allowlist: HostAllowlist;
  /** What the worker may act on, and as whom (`LRO_ALLOWED_SERVICES`…). @default anything; no impersonation */
  policy?: ScopePolicy;
  /**
   * `host:port` of a local emulator (`LRO_EMULATOR_HOST`): calls for `*.googleapis.com` operations go there
   * over plain http instead, with the same path, as Google's own emulator variables do.
   */
  emulatorHost?: string;
  /** @default Date.now */
  clock?: () => number;
  /** Larger answers are refused rather than buffered. @default 32 MiB */
  maxResponseBytes?: number;
}

/** A call to Google that failed; `error.code` is the google.rpc code name. */
export class GoogleCallFailure extends Error {
  override readonly name = 'GoogleCallFailure';
  constructor(readonly error: GoogleCallError) {
    super(`${error.code}: ${error.message}`);
  }
}

const USER_AGENT = `${PACKAGE_NAME}/${PACKAGE_VERSION}`;
/** Names this client to Google, as its own client libraries name themselves. */
const API_CLIENT = `gl-node/${process.versions.node} ${PACKAGE_NAME}/${PACKAGE_VERSION}`;
const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** How long past its timeout a wait's answer may take to arrive before the call is given up. */
const WAIT_ANSWER_SLACK_MS = 15_000;
/** The ID of the operation a list's parent is checked as: it is never requested. */
const LIST_PROBE_ID = 'list';
const ANSWERED_BY_VALUE = new Set(['UNIMPLEMENTED', 'NOT_FOUND', 'FAILED_PRECONDITION'] as const);

interface RawAnswer {
  status: number;
  body: string;
  retryAfter?: string;
}

/** Google's Operations API over REST, one attempt per call: Temporal does the retrying. */
export class OperationsClient {
  private readonly clock: () => number;
  private readonly maxResponseBytes: number;

  constructor(private readonly options: OperationsClientOptions) {
    this.clock = options.clock ?? Date.now;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  /**
   * The gate, before any token is fetched or request sent: the reference's syntax (an operation, AIP-151), the host
   * allowlist (`InvalidArgumentError`), and the worker's policy (the `PERMISSION_DENIED` failure naming the
   * variable that refused it).
   */
  resolve(call: OperationCall): OperationRef {
    const ref = parseOperationRef(call);
    assertAllowed(ref, this.options.allowlist);
    checkScope(this.options.policy ?? {}, ref, call.impersonate);
    return ref;
  }

  /** Who the calls for `call` act as: the account it names, or the worker's own identity when it can tell. */
  principal(call: OperationCall): Promise<string | undefined> {
    return this.options.authorizer.principal(call.impersonate);
  }

  /** Asks the service to cancel the operation. Throws {@link GoogleCallFailure} for faults. */
  async cancel(call: OperationCall, signal?: AbortSignal): Promise<CancelAnswer> {
    const ref = this.resolve(call);
    return this.traced(ref, 'POST', 'CancelOperation', '{name}:cancel', ref.cancelUrl, signal, async (span) => {
      const answer = await this.send('POST', `${this.target(ref)}:cancel`, ref.name, call.impersonate, signal);
      span.answered(answer.status);
      if (answer.status >= 200 && answer.status < 300) {
        if (answer.body.trim() !== '' && !isJsonObject(answer.body)) {
          throw this.malformed(answer.status, 'the cancel answer is not a JSON object');
        }
        return { result: 'accepted' };
      }
      const error = this.classify(answer);
      if (!isAnsweredByValue(error.code)) throw this.failure(error);
      span.rpcCode(error.code);
      return { result: error.code, message: error.message };
    });
  }

  /** Reads the operation and returns a bounded summary. Throws {@link GoogleCallFailure} for faults. */
  async get(call: OperationCall, signal?: AbortSignal): Promise<GetAnswer> {
    const ref = this.resolve(call);
    return this.traced(ref, 'GET', 'GetOperation', '{name}', ref.url, signal, async (span) => {
      const answer = await this.send('GET', this.target(ref), ref.name, call.impersonate, signal);
      return this.operationAnswer(ref, answer, span);
    });
  }

  /**
   * `POST {name}:wait` (WaitOperation): answers when the operation is done or `timeoutMs` has passed (the service
   * may answer sooner), as {@link get} does, or `{ unimplemented }` when the service does not support waiting.
   */
  async wait(
    call: OperationCall,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<GetAnswer | { unimplemented: true; message: string }> {
    const ref = this.resolve(call);
    const body = JSON.stringify({ timeout: `${(Math.max(0, timeoutMs) / 1000).toFixed(3)}s` });
    return this.traced(ref, 'POST', 'WaitOperation', '{name}:wait', `${ref.url}:wait`, signal, async (span) => {
      const answer = await this.send(
        'POST',
        `${this.target(ref)}:wait`,
        ref.name,
        call.impersonate,
        signal,
        body,
        Math.max(0, timeoutMs) + WAIT_ANSWER_SLACK_MS,
      );
      // A service without the method answers UNIMPLEMENTED, or a bare 404 for an unknown custom method.
      if (answer.status === 501 || (answer.status === 404 && !isJsonObject(answer.body))) {
        span.answered(answer.status);
        span.rpcCode('UNIMPLEMENTED');
        return { unimplemented: true as const, message: this.classify(answer).message };
      }
      return this.operationAnswer(ref, answer, span);
    });
  }

  /**
   * One page of `GET {parent}/operations` (ListOperations) for `call`. Each Operation is summarised; one that is
   * not under the parent, or not an Operation at all, is reported in `foreign`, never trusted. The parent goes
   * through the same gate as an operation (see {@link resolveParent}).
   */
  async list(call: ListCall, signal?: AbortSignal): Promise<ListPage> {
    const { ref, parent } = this.resolveParent(call);
    const query = new URLSearchParams();
    if (call.filter) query.set('filter', call.filter);
    if (call.pageSize) query.set('pageSize', String(call.pageSize));
    if (call.pageToken) query.set('pageToken', call.pageToken);
    // Across every location, a location that cannot answer must be reported, not fail the whole listing.
    if (parent.endsWith('/locations/-')) query.set('returnPartialSuccess', 'true');
    const withQuery = (base: string) => (query.size === 0 ? base : `${base}?${query.toString().replace(/\+/g, '%20')}`);
    const probe = `/${LIST_PROBE_ID}`.length;
    const googleUrl = withQuery(ref.url.slice(0, -probe));
    return this.traced(ref, 'GET', 'ListOperations', '{parent}/operations', googleUrl, signal, async (span) => {
      const answer = await this.send(
        'GET',
        withQuery(this.target(ref).slice(0, -probe)),
        parent,
        call.impersonate,
        signal,
      );
      span.answered(answer.status);
      if (answer.status < 200 || answer.status >= 300) throw this.failure(this.classify(answer));
      return this.listPage(parent, answer);
    });
  }

  /** A 2xx ListOperations answer as a {@link ListPage}. */
  private listPage(parent: string, answer: RawAnswer): ListPage {
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(answer.body);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError('not an object');
      body = parsed as Record<string, unknown>;
    } catch (err) {
      throw this.malformed(answer.status, `the list answer is not a JSON object: ${(err as Error).message}`);
    }
    const raw = body['operations'] ?? [];
    if (!Array.isArray(raw)) throw this.malformed(answer.status, 'operations is not a list');
    const operations: OperationSummary[] = [];
    let foreign = 0;
    for (const item of raw) {
      let operation: OperationSummary;
      try {
        operation = summarizeOperation(item);
      } catch {
        foreign += 1;
        continue;
      }
      if (listedUnder(parent, operation.name)) operations.push(operation);
      else foreign += 1;
    }
    const token = body['nextPageToken'];
    const unreachable = Array.isArray(body['unreachable'])
      ? body['unreachable'].filter((u): u is string => typeof u === 'string').map((u) => boundMessage(u))
      : [];
    return {
      operations,
      ...(typeof token === 'string' && token !== '' ? { nextPageToken: token } : {}),
      unreachable,
      foreign,
    };
  }

  /**
   * The gate for a list: the parent is checked as the name of an operation under it would be (syntax, allowlist,
   * the worker's policy), so a list reaches only what a cancel could.
   */
  resolveParent(call: ListCall): { ref: OperationRef; parent: string } {
    const parent = call.parent.replace(/\/+$/, '');
    const name = parent === '' ? `operations/${LIST_PROBE_ID}` : `${parent}/operations/${LIST_PROBE_ID}`;
    let ref: OperationRef;
    try {
      ref = this.resolve({
        operation: name,
        service: call.service,
        apiVersion: call.apiVersion,
        ...(call.impersonate === undefined ? {} : { impersonate: call.impersonate }),
      });
    } catch (err) {
      if (err instanceof InvalidArgumentError && err.field === 'operation') {
        throw new InvalidArgumentError('parent', err.rule, call.parent);
      }
      throw err;
    }
    return { ref, parent };
  }

  private operationAnswer(ref: OperationRef, answer: RawAnswer, span: GoogleCallSpan): GetAnswer {
    span.answered(answer.status);
    if (answer.status >= 200 && answer.status < 300) {
      let operation;
      try {
        operation = summarizeOperation(JSON.parse(answer.body));
      } catch (err) {
        throw this.malformed(answer.status, `the body is not an Operation: ${(err as Error).message}`);
      }
      // A proxy's `{}`, or a resource that is not this operation, must not pass for a running operation.
      if (!namesSameOperation(ref.name, operation.name)) {
        const named = operation.name === '' ? 'no name' : `the name ${JSON.stringify(operation.name)}`;
        throw this.malformed(answer.status, `the Operation has ${named}, not ${JSON.stringify(ref.name)}`);
      }
      span.operation(operation);
      return { found: true, operation };
    }
    const error = this.classify(answer);
    if (error.code !== 'NOT_FOUND') throw this.failure(error);
    span.rpcCode('NOT_FOUND');
    return { found: false, message: error.message };
  }

  /** Runs one call in its span (see `traceGoogleCall`): `url` is the Google URL, whichever host takes the call. */
  private traced<T>(
    ref: OperationRef,
    method: 'GET' | 'POST',
    rpcMethod: string,
    route: string,
    url: string,
    signal: AbortSignal | undefined,
    call: (span: GoogleCallSpan) => Promise<T>,
  ): Promise<T> {
    const emulatorHost = this.options.emulatorHost;
    return traceGoogleCall(
      {
        method,
        rpcService: 'google.longrunning.Operations',
        rpcMethod,
        route,
        url,
        ...(emulatorHost && ref.isGoogleHost ? { emulatorHost } : {}),
        ...(signal ? { signal } : {}),
      },
      call,
      (err) => (err instanceof GoogleCallFailure ? err.error : undefined),
    );
  }

  /** A 2xx answer that is not what it claims: retried like any transient fault, and recorded as such. */
  private malformed(httpStatus: number, what: string): GoogleCallFailure {
    // Redact before cutting: the name comes from the answer, and a cut credential no longer looks like one.
    return this.failure({
      code: 'UNKNOWN',
      httpStatus,
      message: boundMessage(redactCredentials(`malformed answer: ${what}`)),
    });
  }

  private target(ref: OperationRef): string {
    const emulator = this.options.emulatorHost;
    return emulator && ref.isGoogleHost ? `http://${emulator}/${ref.apiVersion}/${ref.name}` : ref.url;
  }

  private classify(answer: RawAnswer): GoogleCallError {
    // Redact before the message is cut to length (a cut credential no longer looks like one), and only bodies the
    // size of an error envelope: a hostile 32 MiB answer is not worth reading for a message.
    return parseErrorResponse(answer.status, boundedErrorBody(answer.body), answer.retryAfter, this.clock());
  }

  private failure(error: GoogleCallError): GoogleCallFailure {
    return new GoogleCallFailure({ ...error, message: redactCredentials(error.message) });
  }

  /** One request, with one token refresh and retry on a 401. */
  private async send(
    method: 'GET' | 'POST',
    url: string,
    routingName: string,
    account: string | undefined,
    signal?: AbortSignal,
    body = '',
    answerWithinMs?: number,
  ): Promise<RawAnswer> {
    let answer = await this.sendOnce(method, url, routingName, account, signal, body, answerWithinMs);
    if (answer.status === 401) {
      await this.authorize(account, () => this.options.authorizer.refresh(account));
      answer = await this.sendOnce(method, url, routingName, account, signal, body, answerWithinMs);
    }
    return answer;
  }

  private async sendOnce(
    method: 'GET' | 'POST',
    url: string,
    routingName: string,
    account: string | undefined,
    signal: AbortSignal | undefined,
    requestBody: string,
    answerWithinMs: number | undefined,
  ): Promise<RawAnswer> {
    const auth = await this.authorize(account, () => this.options.authorizer.headers(url, account));
    const headers: Record<string, string> = {
      ...auth,
      accept: 'application/json',
      'user-agent': USER_AGENT,
      'x-goog-api-client': API_CLIENT,
      // The routing header Google's own REST clients send: it routes the call to the operation's region.
      'x-goog-request-params': `name=${routingValue(routingName)}`,
    };
    if (method === 'POST') headers['content-type'] = 'application/json';
    try {
      const response = await request(url, {
        method,
        headers,
        body: method === 'POST' ? requestBody : undefined,
        dispatcher: this.options.dispatcher,
        signal,
        // A wait is answered when the service is ready: the dispatcher's usual answer timeout would cut it short.
        ...(answerWithinMs === undefined ? {} : { headersTimeout: answerWithinMs, bodyTimeout: answerWithinMs }),
      });
      const retryAfter = response.headers['retry-after'];
      const body = await this.readBody(response.body, response.statusCode);
      return {
        status: response.statusCode,
        body,
        ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
      };
    } catch (err) {
      if (signal?.aborted || err instanceof GoogleCallFailure) throw err;
      throw this.failure(transportError(err));
    }
  }

  private async readBody(body: Dispatcher.ResponseData['body'], status: number): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > this.maxResponseBytes) {
        body.destroy();
        throw this.failure({
          code: 'OUT_OF_RANGE',
          httpStatus: status,
          message: `the answer is larger than ${this.maxResponseBytes} bytes`,
        });
      }
      chunks.push(buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  /**
   * Credential problems are transient for a worker: the metadata server down, no credentials yet, the worker's own
   * token refused, IAM Credentials unavailable or refusing a stale token (which is refreshed for the next attempt).
   * IAM refusing to mint a token for the account a canceller named (403, or 404 for an account that does not exist)
   * is not: that is `PERMISSION_DENIED`.
   */
  private async authorize<T>(account: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const text = `could not get Google credentials${account ? ` for ${account}` : ''}: ${(err as Error).message ?? String(err)}`;
      const message = boundMessage(redactCredentials(text));
      if (err instanceof ImpersonationRefused) {
        if (err.status === 401) await this.options.authorizer.refresh().catch(() => undefined);
        const code =
          err.status === 404
            ? 'PERMISSION_DENIED'
            : parseErrorResponse(err.status, JSON.stringify(err.body ?? ''), undefined, this.clock()).code;
        if (!isRetryable(code) && err.status !== 401) throw this.failure({ code, httpStatus: err.status, message });
      }
      throw this.failure({ code: 'UNAVAILABLE', httpStatus: 0, message });
    }
  }
}

/**
 * A routing-header value as python-api-core writes it (`urlencode(..., safe="/")`): everything but letters, digits,
 * `_ . - ~` and `/` percent-encoded.
 */
export function routingValue(value: string): string {
  return value.replace(/[^A-Za-z0-9_.~/-]/g, (c) =>
    [...Buffer.from(c, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/**
 * Whether a listed operation's name is under the parent that was listed: the parent's segments, then `operations/`
 * and its ID (one segment or more: dai's are paths). A `-` location matches any one location, and a project may be named by its number (services answer with
 * the number where the request named the ID): what the operation may be acted on is checked again by the gate.
 */
export function listedUnder(parent: string, name: string): boolean {
  const want = parent === '' ? [] : parent.split('/');
  const got = name.split('/');
  if (got.length < want.length + 2 || got[want.length] !== 'operations' || got.slice(want.length + 1).includes('')) {
    return false;
  }
  return want.every(
    (segment, i) =>
      segment === got[i] ||
      (segment === '-' && i > 0 && want[i - 1] === 'locations' && got[i] !== '') ||
      (i === 1 && want[0] === 'projects' && /^[0-9]+$/.test(got[1] ?? '')),
  );
}

function isAnsweredByValue(code: string): code is 'UNIMPLEMENTED' | 'NOT_FOUND' | 'FAILED_PRECONDITION' {
  return (ANSWERED_BY_VALUE as ReadonlySet<string>).has(code);
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/** A request that got no complete answer: resets and refusals are UNAVAILABLE, timeouts DEADLINE_EXCEEDED. */
function transportError(err: unknown): GoogleCallError {
  const code = String((err as { code?: unknown }).code ?? '');
  const message = boundMessage(`${code || 'network error'}: ${(err as Error).message ?? String(err)}`);
  return { code: TIMEOUT_CODES.has(code) ? 'DEADLINE_EXCEEDED' : 'UNAVAILABLE', httpStatus: 0, message };
}
