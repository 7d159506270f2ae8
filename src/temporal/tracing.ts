/**
 * OpenTelemetry traces for the worker process and the command line, switched on by OpenTelemetry's standard
 * variables: with `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, spans go over
 * OTLP/HTTP (JSON) through a batch span processor; unset, nothing is installed and the OpenTelemetry SDK is not even
 * loaded (the Google call spans stay the API's no-op ones).
 *
 * Temporal's side is `@temporalio/interceptors-opentelemetry`'s `OpenTelemetryPlugin`: the client's StartWorkflow span
 * travels in the workflow's headers to its workflow and activity spans, which the Google call spans nest under.
 */
import { context, diag, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import { InvalidArgumentError } from '../domain/invalid-argument';
import { PACKAGE_VERSION } from '../domain/package-version';

/** Base URL of an OTLP/HTTP receiver; traces go to `<it>/v1/traces`. Setting it (or the next) turns traces on. */
export const OTLP_ENDPOINT_ENV = 'OTEL_EXPORTER_OTLP_ENDPOINT';
/** The full URL traces are posted to, when not `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`. */
export const OTLP_TRACES_ENDPOINT_ENV = 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
/** The `service.name` of the spans. */
export const SERVICE_NAME_ENV = 'OTEL_SERVICE_NAME';
/** The worker's `service.name` unless `OTEL_SERVICE_NAME` says otherwise. */
export const DEFAULT_WORKER_SERVICE_NAME = 'temporal-gcp-lro-worker';
/** The command line's `service.name` unless `OTEL_SERVICE_NAME` says otherwise. */
export const DEFAULT_CLI_SERVICE_NAME = 'temporal-gcp-lro-cli';

/** Where and as what traces are exported, from {@link tracingFromEnv}. */
export interface TracingConfig {
  /** The URL spans are posted to (OTLP/HTTP, JSON). */
  tracesUrl: string;
  serviceName: string;
}

/** Traces switched on by {@link startTracing}. */
export interface Tracing {
  readonly config: TracingConfig;
  /**
   * Temporal's OpenTelemetry plugin, for the worker's `plugins` (its interceptors, and the sink that exports the
   * workflows' spans) and for a `Client`'s (its StartWorkflow spans, propagated in the workflow's headers).
   */
  readonly plugin: OpenTelemetryPlugin;
  /** Exports what is buffered and stops: call it once the worker has stopped. */
  shutdown(): Promise<void>;
}

/**
 * Reads OpenTelemetry's standard variables: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as it is), else
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (plus `/v1/traces`), and `OTEL_SERVICE_NAME`. Undefined, for no traces, when neither
 * endpoint is set, when `OTEL_SDK_DISABLED=true` or when `OTEL_TRACES_EXPORTER=none`. Throws
 * {@link InvalidArgumentError} naming a variable that is not usable. Headers, timeout, compression and batching
 * (`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_BSP_*`…) are read by the exporter itself, from the process's environment.
 */
export function tracingFromEnv(
  env: NodeJS.ProcessEnv,
  defaultServiceName: string = DEFAULT_WORKER_SERVICE_NAME,
): TracingConfig | undefined {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return undefined;
  if (env['OTEL_TRACES_EXPORTER']?.trim().toLowerCase() === 'none') return undefined;
  const specific = env[OTLP_TRACES_ENDPOINT_ENV]?.trim();
  const base = env[OTLP_ENDPOINT_ENV]?.trim();
  if (!specific && !base) return undefined;
  const protocolVariable = ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'].find((name) =>
    env[name]?.trim(),
  );
  if (protocolVariable && env[protocolVariable]?.trim() === 'grpc') {
    throw new InvalidArgumentError(
      protocolVariable,
      'must be http/json or http/protobuf: traces are sent over OTLP/HTTP',
      'grpc',
    );
  }
  const tracesUrl = specific
    ? httpUrl(OTLP_TRACES_ENDPOINT_ENV, specific)
    : `${httpUrl(OTLP_ENDPOINT_ENV, base ?? '').replace(/\/+$/, '')}/v1/traces`;
  return { tracesUrl, serviceName: env[SERVICE_NAME_ENV]?.trim() || defaultServiceName };
}

/**
 * Installs a tracer provider exporting to `config.tracesUrl` through a batch span processor, as the process's global
 * one (Temporal's interceptors find the tracer and the propagator there, and so do the Google call spans), with W3C
 * trace-context and baggage propagation and async context; returns Temporal's plugin bound to it. The SDK is loaded
 * here, not before: a process without traces never loads it. Throws when the process has a global tracer provider
 * already (its own OpenTelemetry set-up): then add `OpenTelemetryPlugin` to the worker yourself.
 */
export async function startTracing(
  config: TracingConfig,
  options: {
    /** Where OpenTelemetry's own warnings and errors go (a collector that cannot be reached…). @default nowhere */
    warn?: (message: string) => void;
  } = {},
): Promise<Tracing> {
  const [sdk, resources, { OTLPTraceExporter }, { AsyncLocalStorageContextManager }, core, { OpenTelemetryPlugin }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/core'),
      import('@temporalio/interceptors-opentelemetry'),
    ]);
  // Lowest first: the SDK's defaults, ours, OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME.
  const resource = resources.Resource.default()
    .merge(new resources.Resource({ 'service.name': config.serviceName, 'service.version': PACKAGE_VERSION }))
    .merge(resources.envDetectorSync.detect())
    .merge(new resources.Resource({ 'service.name': config.serviceName }));
  const spanProcessor: SpanProcessor = new sdk.BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracesUrl }));
  const provider = new sdk.BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  if (!trace.setGlobalTracerProvider(provider)) {
    await provider.shutdown();
    throw new Error(
      'this process has an OpenTelemetry tracer provider already: add OpenTelemetryPlugin to the worker yourself',
    );
  }
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const { warn } = options;
  if (warn) {
    const ignore = (): void => undefined;
    // The SDK's error handler hands over an exception as JSON, stack and all: its message is the line worth logging.
    const forward = (message: string): void => warn(exceptionMessage(message));
    diag.setLogger({ error: forward, warn: forward, info: ignore, debug: ignore, verbose: ignore }, DiagLogLevel.WARN);
  }
  propagation.setGlobalPropagator(
    new core.CompositePropagator({
      propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()],
    }),
  );
  return {
    config,
    plugin: new OpenTelemetryPlugin({ resource, spanProcessor }),
    async shutdown() {
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
        if (warn) diag.disable();
      }
    },
  };
}

/** Where traces go, for a start-up line: no user information, query or fragment. */
export function describeTracesUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

function exceptionMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON: the text is the message.
  }
  return text.split('\n')[0] ?? text;
}

function httpUrl(name: string, value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    // A URL may carry credentials (`user:password@`): only one that cannot is shown.
    const shown = value.includes('@') ? undefined : value;
    throw new InvalidArgumentError(name, 'must be an http(s) URL, e.g. http://127.0.0.1:4318', shown);
  }
  return value;
}
