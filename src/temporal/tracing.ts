/**
 * OpenTelemetry traces for the worker process and the command line, switched on by OpenTelemetry's standard
 * variables: with `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, spans go over
 * OTLP/HTTP (JSON) through a batch span processor; unset, nothing is installed and the OpenTelemetry SDK is not even
 * loaded (the Google call spans stay the API's no-op ones).
 *
 * Temporal's side is `@temporalio/interceptors-opentelemetry`'s `OpenTelemetryPlugin`: the client's StartWorkflow span
 * travels in the workflow's headers to its workflow and activity spans, which the Google call spans nest under.
 */
import { readFile } from 'node:fs/promises';
import { context, diag, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import type { WorkflowBundleOption } from '@temporalio/worker';
import { boundMessage } from '../domain/google-error';
import { InvalidArgumentError } from '../domain/invalid-argument';
import { PACKAGE_VERSION } from '../domain/package-version';
import { MAX_ERROR_BODY_LENGTH, redactCredentials } from '../domain/redaction';

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
/**
 * How long {@link Tracing.shutdown} waits for the last spans to be exported. A collector that accepts the connection
 * and never answers would otherwise hold every exit for the exporter's own timeouts (10 s a request, and more): past
 * the 30 s a container gets to stop after the worker's 10 s of grace, and at the end of every command.
 */
export const TRACES_SHUTDOWN_DEADLINE_MS = 3_000;
/** The module `OpenTelemetryPlugin` bundles into the workflows: its workflow interceptors. */
const WORKFLOW_INTERCEPTORS_MODULE = '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors';

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
   * Whether the process had a global tracer provider of its own already (an embedding application's NodeSDK, say):
   * then the activities' and the Google calls' spans go through that one, and only the workflows' spans are exported
   * to `config.tracesUrl` by this package.
   */
  readonly sharedProvider: boolean;
  /**
   * Temporal's OpenTelemetry plugin, for the worker's `plugins` (its interceptors, and the sink that exports the
   * workflows' spans) and for a `Client`'s (its StartWorkflow spans, propagated in the workflow's headers).
   */
  readonly plugin: OpenTelemetryPlugin;
  /**
   * Warns (through `warn`) when a worker's `workflowBundle` has no OpenTelemetry workflow interceptors in it: the
   * plugin cannot add them to a bundle already built, so its workflows would record no span and their activities'
   * spans would not join the client's trace.
   */
  checkWorkflowBundle(bundle: WorkflowBundleOption | undefined): Promise<void>;
  /**
   * Exports what is buffered, for at most {@link TRACES_SHUTDOWN_DEADLINE_MS}, and unregisters the OpenTelemetry
   * globals {@link startTracing} registered (only those): call it once the worker has stopped.
   */
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
  // `http/protobuf` is taken, and JSON sent all the same: OTLP/HTTP receivers such as the Collector's take both.
  if (protocolVariable && env[protocolVariable]?.trim() === 'grpc') {
    throw new InvalidArgumentError(
      protocolVariable,
      'must be http/json or http/protobuf: traces are sent over OTLP/HTTP, as JSON (for this program alone, ' +
        'set OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json and an OTLP/HTTP endpoint)',
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
 * here, not before: a process without traces never loads it.
 *
 * In a process that set OpenTelemetry up already (its own global tracer provider, context manager or propagator),
 * what it registered stays: the activities' and the Google calls' spans go through its tracer provider (`info` says
 * so, once), and the plugin still exports the workflows' spans to `config.tracesUrl`, which only this package can.
 * OpenTelemetry's own log (`diag`) is then the process's too, and left alone.
 */
export async function startTracing(
  config: TracingConfig,
  options: {
    /** Where OpenTelemetry's own warnings and errors go (a collector that cannot be reached…). @default nowhere */
    warn?: (message: string) => void;
    /** Where the line saying that the process's own tracer provider is used goes. @default nowhere */
    info?: (message: string) => void;
    /** @default {@link TRACES_SHUTDOWN_DEADLINE_MS} */
    shutdownDeadlineMs?: number;
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
  // Unregistered, it still holds the processor the plugin's sink exports the workflows' spans through.
  const provider = new sdk.BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  const { warn, info } = options;
  const deadlineMs = options.shutdownDeadlineMs ?? TRACES_SHUTDOWN_DEADLINE_MS;

  // Each global is registered only where the process has none; shutdown unregisters exactly these.
  const ownsTracerProvider = trace.setGlobalTracerProvider(provider);
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const ownsContext = context.setGlobalContextManager(contextManager);
  if (!ownsContext) contextManager.disable();
  const ownsPropagator = propagation.setGlobalPropagator(
    new core.CompositePropagator({
      propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()],
    }),
  );
  const ownsDiag = ownsTracerProvider && warn !== undefined;
  if (ownsDiag) {
    const ignore = (): void => undefined;
    const forward = (message: string, ...args: unknown[]): void => warn(diagLine(message, args));
    diag.setLogger({ error: forward, warn: forward, info: ignore, debug: ignore, verbose: ignore }, DiagLogLevel.WARN);
  }
  if (!ownsTracerProvider) {
    info?.(
      `this process has an OpenTelemetry tracer provider already: the activities' and Google calls' spans go ` +
        `through it, the workflows' spans to ${describeTracesUrl(config.tracesUrl)}`,
    );
  }

  return {
    config,
    sharedProvider: !ownsTracerProvider,
    plugin: new OpenTelemetryPlugin({ resource, spanProcessor }),
    async checkWorkflowBundle(bundle) {
      const code = bundle && warn ? await bundleCode(bundle) : undefined;
      // A bundle that cannot be read is the worker's to report, as it starts.
      if (warn && code !== undefined && !code.includes(WORKFLOW_INTERCEPTORS_MODULE)) {
        warn(
          `the workflowBundle given has no OpenTelemetry workflow interceptors: its workflows record no span and ` +
            `their activities' spans do not join the client's trace (bundle it with OpenTelemetryPlugin in ` +
            `bundleWorkflowCode's plugins)`,
        );
      }
    },
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      try {
        const flushed = await Promise.race([
          provider.shutdown().then(
            () => true,
            (err: unknown) => {
              warn?.(diagLine('spans not exported at shutdown:', [err]));
              return true;
            },
          ),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), deadlineMs);
          }),
        ]);
        if (!flushed) warn?.(`spans not exported within ${deadlineMs} ms of shutting down were dropped`);
      } finally {
        clearTimeout(timer);
        if (ownsTracerProvider) trace.disable();
        if (ownsContext) context.disable();
        if (ownsPropagator) propagation.disable();
        if (ownsDiag) diag.disable();
      }
    },
  };
}

/** Where traces go, for a start-up line: no user information, query or fragment. */
export function describeTracesUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/**
 * One of OpenTelemetry's own log lines, as the worker logs it: the message (with its arguments: a collector's
 * partial-success answer comes as one), redacted, on one line and bounded, for its text can be a collector's.
 */
function diagLine(message: string, args: readonly unknown[]): string {
  const parts = [exceptionMessage(message), ...args.map(argumentText)];
  // Cut long before the bound, not before redacting: the cut is then far past anything kept.
  return boundMessage(redactCredentials(parts.join(' ').slice(0, MAX_ERROR_BODY_LENGTH)));
}

function argumentText(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  if (arg instanceof Error) return arg.message;
  if (Buffer.isBuffer(arg)) return arg.toString('utf8', 0, MAX_ERROR_BODY_LENGTH);
  try {
    return JSON.stringify(arg) ?? String(arg);
  } catch {
    return String(arg);
  }
}

async function bundleCode(bundle: WorkflowBundleOption): Promise<string | undefined> {
  if ('code' in bundle) return bundle.code;
  return readFile(bundle.codePath, 'utf8').catch(() => undefined);
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
