/**
 * Each call to Google as an OpenTelemetry client span, a child of whatever span is active (the activity's, under a
 * traced worker). Only `@opentelemetry/api`: with no tracer provider installed every span is the API's no-op one and
 * nothing below records anything.
 *
 * Attributes follow OpenTelemetry's HTTP client conventions (`http.request.method`, `url.full`,
 * `http.response.status_code`, `server.address`, `error.type`) and its RPC ones (`rpc.system`, `rpc.service`,
 * `rpc.method`), plus the call's google.rpc code by name (`gcp.rpc.code`) and number (`rpc.grpc.status_code`: Google's
 * REST front end transcodes the same gRPC service, so the code is the gRPC status). No header is ever recorded, so no
 * token can be; URLs and messages go through the same redaction as error text.
 */
import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { GoogleCallError } from '../domain/google-error';
import { boundMessage } from '../domain/google-error';
import type { OperationSummary } from '../domain/operation-summary';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../domain/package-version';
import { redactCredentials } from '../domain/redaction';
import { RpcCode, type RpcCodeName } from '../domain/rpc-code';

/** The `rpc.system` of every Google call span. */
export const GOOGLE_RPC_SYSTEM = 'google_api';

/** One call to Google, as its span names it. */
export interface GoogleCallSpec {
  /** The HTTP method. */
  method: 'GET' | 'POST';
  /** The RPC the REST call transcodes, e.g. `google.longrunning.Operations`. */
  rpcService: string;
  /** e.g. `CancelOperation`. */
  rpcMethod: string;
  /** The URL template after the host, for the span's name (low cardinality), e.g. `{name}:cancel`. */
  route: string;
  /**
   * The URL called, as Google would be called: with `LRO_EMULATOR_HOST` the emulator takes the same path on its own
   * address, which is then recorded as `gcp.emulator.address`.
   */
  url: string;
  /** `host:port` of an emulator that took the call instead. */
  emulatorHost?: string;
  /** The call's cancellation signal: a call it aborted was cancelled, not failed. */
  signal?: AbortSignal;
}

/** What a traced call reports about its answer. */
export interface GoogleCallSpan {
  /** The HTTP status of the answer. */
  answered(httpStatus: number): void;
  /** The call's google.rpc code: `OK` for a 2xx answer, else the code the answer was classified as. */
  rpcCode(code: RpcCodeName): void;
  /** The Operation the call answered with. */
  operation(summary: OperationSummary): void;
}

/**
 * Runs `call` in a client span named `{method} {host} {route}` (e.g. `POST alloydb.googleapis.com {name}:cancel`).
 * A throw is recorded too: as the Google error `failureOf` finds in it, else by its redacted message. The span's
 * status is ERROR when the call's code is not `OK`, as the HTTP conventions mark a client's 4xx and 5xx; a call its
 * `signal` aborted (the activity was cancelled) has a `cancelled` event instead, and no status. The span always ends,
 * and the caller always gets the call's own result or error, whatever recording it does.
 */
export async function traceGoogleCall<T>(
  spec: GoogleCallSpec,
  call: (span: GoogleCallSpan) => Promise<T>,
  failureOf: (err: unknown) => Pick<GoogleCallError, 'code' | 'httpStatus' | 'message'> | undefined,
): Promise<T> {
  const url = safeUrl(spec.url);
  // Asked for each call, not kept: a tracer found once stays bound to that provider, even after it is replaced.
  const tracer = trace.getTracer(PACKAGE_NAME, PACKAGE_VERSION);
  return tracer.startActiveSpan(
    `${spec.method} ${url?.hostname ?? 'unknown'} ${spec.route}`,
    { kind: SpanKind.CLIENT, attributes: requestAttributes(spec, url) },
    async (span) => {
      let code: RpcCodeName | undefined;
      const recorder: GoogleCallSpan = {
        answered: (httpStatus) => {
          if (httpStatus > 0) span.setAttribute('http.response.status_code', httpStatus);
        },
        rpcCode: (answered) => {
          code = answered;
        },
        operation: (summary) => {
          if (!span.isRecording()) return;
          span.setAttributes({
            'gcp.operation.done': summary.done,
            'gcp.operation.state': summary.state,
            ...('error' in summary ? { 'gcp.operation.error_code': summary.error.status } : {}),
          });
        },
      };
      try {
        const result = await call(recorder);
        settle(span, code ?? 'OK');
        return result;
      } catch (err) {
        try {
          recordThrown(span, err, failureOf, spec.signal);
        } catch (recording) {
          // Recording must never replace the call's own error: the span keeps what can still be said.
          recordUnclassified(span, recording);
        }
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

function recordThrown(
  span: Span,
  err: unknown,
  failureOf: (err: unknown) => Pick<GoogleCallError, 'code' | 'httpStatus' | 'message'> | undefined,
  signal: AbortSignal | undefined,
): void {
  if (signal?.aborted) {
    span.addEvent('cancelled');
    return;
  }
  const failure = failureOf(err);
  if (failure) {
    if (failure.httpStatus > 0) span.setAttribute('http.response.status_code', failure.httpStatus);
    settle(span, failure.code, failure.message);
  } else {
    recordUnclassified(span, err);
  }
}

function recordUnclassified(span: Span, err: unknown): void {
  const name = err instanceof Error ? err.name : 'Error';
  const message = boundMessage(redactCredentials(err instanceof Error ? err.message : String(err)));
  span.recordException({ name, message });
  span.setAttribute('error.type', name);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

function settle(span: Span, code: RpcCodeName, message?: string): void {
  span.setAttributes({ 'gcp.rpc.code': code, 'rpc.grpc.status_code': RpcCode[code] });
  if (code !== 'OK') {
    span.setAttribute('error.type', code);
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: message === undefined ? code : boundMessage(redactCredentials(`${code}: ${message}`)),
    });
  }
}

function requestAttributes(spec: GoogleCallSpec, url: URL | undefined): Attributes {
  return {
    'http.request.method': spec.method,
    'url.full': redactUrl(spec.url),
    ...(url
      ? {
          'server.address': url.hostname,
          'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        }
      : {}),
    'rpc.system': GOOGLE_RPC_SYSTEM,
    'rpc.service': spec.rpcService,
    'rpc.method': spec.rpcMethod,
    ...(spec.emulatorHost ? { 'gcp.emulator.address': spec.emulatorHost } : {}),
  };
}

/** Query parameters whose values are never recorded: page tokens are opaque state, and may be long-lived. */
const REDACTED_QUERY_PARAMETERS = new Set(['pagetoken', 'access_token', 'key', 'sig', 'signature']);

/** A URL as recorded: no credential-bearing query values (page tokens included), anything token-like redacted. */
export function redactUrl(text: string): string {
  const at = text.indexOf('?');
  if (at === -1) return redactCredentials(text);
  const query = new URLSearchParams(text.slice(at + 1));
  for (const key of [...query.keys()]) {
    if (REDACTED_QUERY_PARAMETERS.has(key.toLowerCase())) query.set(key, 'REDACTED');
  }
  // As the client writes its queries: spaces as %20, not `+`.
  return redactCredentials(`${text.slice(0, at)}?${query.toString().replace(/\+/g, '%20')}`);
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
