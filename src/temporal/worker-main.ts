/**
 * The worker process: `npm start`, `temporal-gcp-lro worker`, or {@link runWorker} from your own entry point.
 *
 * Start-up checks each problem once and reports it in one line: bad environment variables, Temporal
 * unreachable, search attributes that cannot be registered, no Google credentials. Then it runs until
 * SIGINT or SIGTERM, lets in-flight activities finish (or hands them back after the grace time), and exits 0.
 * With OpenTelemetry's `OTEL_EXPORTER_OTLP_ENDPOINT` set it exports traces (`tracing.ts`), flushed before it exits.
 */
import type { Duration } from '@temporalio/common';
import { IllegalStateError } from '@temporalio/common';
import { makeTelemetryFilterString, Runtime, type NativeConnection, type Worker } from '@temporalio/worker';
import { activityDepsFromEnv } from '../google/activity-deps';
import { EXIT_CODES, firstLine, ExitError } from '../domain/exit-codes';
import { redactCredentials } from '../domain/redaction';
import { InvalidArgumentError } from '../domain/invalid-argument';
import { POLLS_BUCKETS, POLLS_METRIC, zeroOutcomes } from '../domain/metrics';
import type { OperationsClientOptions } from '../google/operations-client';
import { ensureSearchAttributes } from './search-attribute-registration';
import { DEFAULT_TASK_QUEUE } from '../domain/task-queue';
import {
  connectToTemporal,
  DEFAULT_CONNECT_TIMEOUT_MS,
  TASK_QUEUE_ENV,
  temporalTargetFromEnv,
  type TemporalTarget,
} from './temporal-connect';
import { LineLogger, logFormatFromEnv, type LogFormat } from './log-format';
import { describeTracesUrl, startTracing, tracingFromEnv, type Tracing } from './tracing';
import { freeLoopbackPort, serveMetricsEndpoint, type MetricsEndpoint } from './metrics-endpoint';
import { watchTemporal, type TemporalWatch } from './temporal-check';
import { createCancellerWorker, usesPrebuiltBundle, type CancellerWorkerOptions } from './worker';
import { describeDeployment, workerDeploymentFromEnv } from './worker-deployment';
import { PREBUILT_BUNDLE_PATH, PREBUILT_TRACED_BUNDLE_PATH, prebuiltWorkflowBundle } from './workflow-bundle';

/**
 * `host:port` of the worker's HTTP endpoint: Prometheus metrics (`/metrics`, the SDK's and ours) and the container
 * probes `/healthz` and `/readyz` (see `serveMetricsEndpoint`).
 */
export const METRICS_BIND_ENV = 'LRO_METRICS_BIND';
/**
 * Set to `1` to skip registering the `Lro*` search attributes (when they are already registered and the
 * worker's credentials may not add them, as with an API key on Temporal Cloud).
 */
export const SKIP_SEARCH_ATTRIBUTE_REGISTRATION_ENV = 'LRO_SKIP_SEARCH_ATTRIBUTE_REGISTRATION';

/** How long the start-up credentials check may take (the metadata server's detection can be slow). */
const CREDENTIALS_CHECK_TIMEOUT_MS = 20_000;
/** Any Google API URL: the check only asks the library for headers, it sends nothing there. */
const CREDENTIALS_CHECK_URL = 'https://cloudresourcemanager.googleapis.com/';
/** Tries at binding Core's exporter to a free loopback port: another process may take the port in between. */
const EXPORTER_BIND_ATTEMPTS = 3;
const PROGRAM = 'temporal-gcp-lro worker';

/** Options for {@link runWorker}. */
export interface RunWorkerOptions {
  /** Where the configuration is read from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default `TEMPORAL_TASK_QUEUE`, else "gcp-lro" */
  taskQueue?: string;
  /** How long to try to reach Temporal at start-up. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * How long in-flight activities may run after a shutdown signal before they are cancelled and their
   * attempt handed back to Temporal (it retries them on another worker).
   * @default "10s"
   */
  shutdownGraceTime?: Duration;
  /** Stops the worker when aborted, as SIGINT and SIGTERM do. */
  signal?: AbortSignal;
  /** Progress lines (connected, polling, metrics endpoint). @default stdout */
  log?: (line: string) => void;
  /** Further worker options, e.g. `maxTaskQueueActivitiesPerSecond` or a prebuilt `workflowBundle`. */
  worker?: Partial<Omit<CancellerWorkerOptions, 'connection' | 'deps' | 'taskQueue' | 'namespace'>>;
  /**
   * Export traces as OpenTelemetry's variables say (`OTEL_EXPORTER_OTLP_ENDPOINT`…, see `tracingFromEnv`). In a process
   * with a global tracer provider of its own, the activities' and Google calls' spans go through that one, and only the
   * workflows' spans are exported by the worker. `false`: the worker sets up nothing (add `OpenTelemetryPlugin` to
   * `worker.plugins` yourself, with your span processor).
   * @default true
   */
  tracing?: boolean;
}

/**
 * Runs the canceller worker until a shutdown signal (or `options.signal`), then closes the connection, the HTTP
 * dispatcher and the metrics endpoint. Throws {@link ExitError} (one line, with its exit code) when it cannot start.
 */
export async function runWorker(options: RunWorkerOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const taskQueue = options.taskQueue ?? (env[TASK_QUEUE_ENV]?.trim() || DEFAULT_TASK_QUEUE);

  // Configuration first: nothing is contacted until every variable parses.
  const target = temporalTargetFromEnv(env);
  const metricsBind = parseMetricsBind(env[METRICS_BIND_ENV]);
  const logFormat = configured(() => logFormatFromEnv(env));
  const deployment = configured(() => workerDeploymentFromEnv(env));
  const deps = configured(() => activityDepsFromEnv(env));
  const tracesTo = options.tracing === false ? undefined : configured(() => tracingFromEnv(env));

  // Our own listeners cover the start-up window too: the SDK's only reach workers already running.
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  options.signal?.addEventListener('abort', onSignal);
  if (options.signal?.aborted) stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let connection: NativeConnection | undefined;
  let tracing: Tracing | undefined;
  let endpoint: MetricsEndpoint | undefined;
  /** The worker the probes report on, once it exists. */
  let probed: Worker | undefined;
  /** Whether Temporal still answers, for /readyz: the pollers' state cannot tell. */
  let watch: TemporalWatch | undefined;
  try {
    if (metricsBind) {
      const exporter = await installRuntimeWithExporter(logFormat, metricsBind);
      // Up before anything is contacted: a probe during start-up hears "starting", not a refused connection.
      endpoint = await serveMetricsEndpoint({
        bind: metricsBind,
        upstream: exporter,
        status: () => probed?.getStatus(),
        temporal: () => watch?.reachability(),
      }).catch((err: unknown) => {
        throw new ExitError(`cannot serve metrics on ${metricsBind} (${firstLine(err)})`, EXIT_CODES.ERROR);
      });
    } else {
      installRuntime(logFormat);
    }
    if (tracesTo) {
      // A collector that cannot be reached is worth a line in the log, not a worker that stops.
      const warn = (message: string): void => Runtime.instance().logger.warn(`traces: ${redactCredentials(message)}`);
      const info = (message: string): void => log(`${PROGRAM}: traces: ${message}`);
      tracing = await startTracing(tracesTo, { warn, info }).catch((err: unknown) => {
        throw new ExitError(`cannot set up traces (${firstLine(err)})`, EXIT_CODES.ERROR);
      });
    }
    connection = await connectToTemporal(target, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    if (endpoint) watch = watchTemporal(connection);
    await registerSearchAttributes(connection, target, env, log);
    await checkGoogleCredentials(deps);

    await tracing?.checkWorkflowBundle(options.worker?.workflowBundle);
    const { workerOptions, bundle } = workflowCode(options.worker ?? {}, tracing);
    const worker = await createCancellerWorker({
      shutdownGraceTime: options.shutdownGraceTime ?? '10s',
      ...(deployment ? { workerDeploymentOptions: deployment } : {}),
      ...workerOptions,
      connection,
      namespace: target.namespace,
      taskQueue,
      deps,
    }).catch((err: unknown) => {
      throw new ExitError(`cannot start the worker (${firstLine(err)})`, EXIT_CODES.ERROR);
    });
    if (stop.signal.aborted) return;

    if (metricsBind) {
      // Tagged as the worker tags its workflows' metrics: the same series, there from the start.
      zeroOutcomes(Runtime.instance().metricMeter.withTags({ namespace: target.namespace, taskQueue }));
    }
    probed = worker;
    const running = worker.run();
    const shutdown = (): void => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
    };
    stop.signal.addEventListener('abort', shutdown);
    log(
      `${PROGRAM}: polling task queue "${taskQueue}" in namespace "${target.namespace}" at ${target.address}` +
        describeDeployment(options.worker?.workerDeploymentOptions ?? deployment) +
        (metricsBind ? `; metrics at http://${metricsBind}/metrics` : '') +
        (tracing
          ? `; traces to ${describeTracesUrl(tracing.config.tracesUrl)} as "${tracing.config.serviceName}"`
          : '') +
        (bundle ? `; workflows from the bundle built with the package (${bundle})` : ''),
    );
    await running;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    options.signal?.removeEventListener('abort', onSignal);
    await endpoint?.close();
    watch?.stop();
    await connection?.close().catch(() => undefined);
    await deps.dispatcher.close().catch(() => undefined);
    // Last: the worker's final spans (its workflows' among them, through the plugin's sink) are buffered by now.
    await tracing?.shutdown().catch(() => undefined);
  }
}

/**
 * The worker's workflow code and plugins: the bundle the build wrote, the traced one when traces are on (it has the
 * plugin's workflow interceptors in it), unless the options need bundling at start; `bundle` is its path, if any.
 */
function workflowCode(
  given: NonNullable<RunWorkerOptions['worker']>,
  tracing: Tracing | undefined,
): { workerOptions: NonNullable<RunWorkerOptions['worker']>; bundle?: string } {
  const plugins = tracing ? { plugins: [...(given.plugins ?? []), tracing.plugin] } : {};
  const prebuilt = usesPrebuiltBundle(given)
    ? prebuiltWorkflowBundle(tracing ? PREBUILT_TRACED_BUNDLE_PATH : PREBUILT_BUNDLE_PATH)
    : undefined;
  if (!prebuilt) return { workerOptions: { ...given, ...plugins } };
  return { workerOptions: { ...given, ...plugins, workflowBundle: prebuilt }, bundle: prebuilt.codePath };
}

/**
 * The worker binary: runs {@link runWorker}, prints one line for a start-up problem, and resolves to the exit
 * code (0 after a clean shutdown; see `EXIT_CODES`).
 */
export async function workerMain(options: RunWorkerOptions = {}): Promise<number> {
  try {
    await runWorker(options);
    return EXIT_CODES.OK;
  } catch (err) {
    process.stderr.write(`${PROGRAM}: ${err instanceof ExitError ? err.message : redactCredentials(firstLine(err))}\n`);
    return err instanceof ExitError ? err.exitCode : EXIT_CODES.ERROR;
  }
}

/** Entry point of `node dist/src/temporal/worker-main.js`. */
export async function main(): Promise<never> {
  process.exit(await workerMain());
}

/** Parses `LRO_METRICS_BIND` (`host:port`). */
export function parseMetricsBind(value: string | undefined): string | undefined {
  const bind = value?.trim();
  if (!bind) return undefined;
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(bind);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) {
    throw new ExitError(
      new InvalidArgumentError(METRICS_BIND_ENV, 'must be host:port, e.g. 127.0.0.1:9464', bind).message,
      EXIT_CODES.USAGE,
    );
  }
  return bind;
}

function configured<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new ExitError(err.message, EXIT_CODES.USAGE);
    throw err;
  }
}

/**
 * The runtime, once per process: our one-line log format, and Core's Prometheus exporter on `exporter` when asked. A
 * runtime an embedding process installed first stays, unless metrics were asked for, which need ours.
 */
function installRuntime(format: LogFormat, exporter?: string, metricsBind = exporter): void {
  try {
    Runtime.install({
      logger: new LineLogger(format),
      telemetryOptions: {
        // Core's own events go through the same logger, so a JSON log holds nothing but JSON lines.
        logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) },
        ...(exporter
          ? {
              metrics: {
                prometheus: {
                  bindAddress: exporter,
                  histogramBucketOverrides: { [POLLS_METRIC]: [...POLLS_BUCKETS] },
                },
              },
            }
          : {}),
      },
    });
  } catch (err) {
    if (!exporter && err instanceof IllegalStateError) return;
    const what = exporter ? `cannot serve metrics on ${metricsBind}` : 'cannot set up the Temporal runtime';
    throw new ExitError(`${what} (${firstLine(err)})`, EXIT_CODES.ERROR);
  }
}

/**
 * {@link installRuntime} with Core's exporter on a free loopback port, which {@link serveMetricsEndpoint} passes
 * through at `metricsBind`; resolves to the exporter's `host:port`.
 */
async function installRuntimeWithExporter(format: LogFormat, metricsBind: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const exporter = `127.0.0.1:${await freeLoopbackPort()}`;
    try {
      installRuntime(format, exporter, metricsBind);
      return exporter;
    } catch (err) {
      if (attempt < EXPORTER_BIND_ATTEMPTS && /address already in use/i.test(firstLine(err))) continue;
      throw err;
    }
  }
}

async function registerSearchAttributes(
  connection: NativeConnection,
  target: TemporalTarget,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<void> {
  if (env[SKIP_SEARCH_ATTRIBUTE_REGISTRATION_ENV]?.trim() === '1') {
    log(`${PROGRAM}: not registering search attributes (${SKIP_SEARCH_ATTRIBUTE_REGISTRATION_ENV}=1)`);
    return;
  }
  try {
    const added = await ensureSearchAttributes(connection, target.namespace);
    if (added.length > 0)
      log(`${PROGRAM}: registered search attributes ${added.join(', ')} in namespace "${target.namespace}"`);
  } catch (err) {
    throw new ExitError(
      `${firstLine(err)} (or set ${SKIP_SEARCH_ATTRIBUTE_REGISTRATION_ENV}=1 if they are registered already)`,
      EXIT_CODES.ERROR,
    );
  }
}

async function checkGoogleCredentials(deps: OperationsClientOptions): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      deps.authorizer.headers(CREDENTIALS_CHECK_URL),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CREDENTIALS_CHECK_TIMEOUT_MS} ms`)),
          CREDENTIALS_CHECK_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (err) {
    throw new ExitError(
      `cannot obtain Google credentials (${redactCredentials(firstLine(err))}); set up Application Default Credentials`,
      EXIT_CODES.ERROR,
    );
  } finally {
    clearTimeout(timer);
  }
}

if (require.main === module) void main();
