/**
 * One real stack per test file: a Temporal server, the Google emulator, a worker whose activities reach
 * the emulator through google-auth-library's real metadata-server flow and undici.
 */
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { IllegalStateError, type LogLevel } from '@temporalio/common';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  type Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { ActivityDeps } from '../../activities';
import { googleAuthorizer } from '../../src/google/google-auth';
import { createDispatcher } from '../../src/google/http-dispatcher';
import { POLLS_BUCKETS, POLLS_METRIC } from '../../src/domain/metrics';
import { parseAllowedHosts } from '../../src/domain/host-allowlist';
import type { ScopePolicy } from '../../src/domain/scope-policy';
import { GoogleEmulator, type EmulatorOptions } from '../../src/testing/emulator';
import { findTemporalBinary, TEMPORAL_CLI } from '../../src/testing/temporal-binaries';
import { startDevServer, startTimeSkippingServer, type DevServerOptions } from '../../src/testing/temporal-servers';
import { createCancellerWorker } from '../../src/temporal/worker';
import { tracingBundlerPlugin } from '../../src/temporal/workflow-bundle';
import { ROOT } from './build';

const bundles: { plain?: Promise<WorkflowBundleWithSourceMap>; traced?: Promise<WorkflowBundleWithSourceMap> } = {};

/**
 * Bundles the workflows once per test file (bundling takes seconds); with `traced`, with the OpenTelemetry workflow
 * interceptors in, as the build writes the traced workers' bundle.
 */
export function workflowBundle({ traced = false } = {}): Promise<WorkflowBundleWithSourceMap> {
  const key = traced ? 'traced' : 'plain';
  return (bundles[key] ??= bundleTestWorkflows(traced));
}

async function bundleTestWorkflows(traced: boolean): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('./test-workflows'),
    logger: quietLogger,
    ...(traced ? { plugins: [await tracingBundlerPlugin()] } : {}),
    // The examples import the package by name, as users' workflows do.
    webpackConfigHook: (config) => ({
      ...config,
      resolve: {
        ...config.resolve,
        alias: {
          ...(config.resolve?.alias as Record<string, string>),
          'temporal-gcp-lro/workflows$': join(ROOT, 'workflows', 'index.ts'),
        },
      },
    }),
  });
}

/** A unique suffix for IDs and task queues. */
export function unique(prefix = 'op'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Points google-auth-library's Application Default Credentials at the emulator's metadata server. */
export function useEmulatorCredentials(emulator: GoogleEmulator): void {
  process.env['GCE_METADATA_HOST'] = emulator.hostPort;
  delete process.env['GOOGLE_APPLICATION_CREDENTIALS'];
}

/**
 * Real activity dependencies aimed at the emulator, as `activityDepsFromEnv` builds them with `LRO_EMULATOR_HOST`:
 * Google hosts and IAM Credentials go to it, `allowedHosts` are extra, `policy` is the worker's scope policy.
 */
export function emulatorDeps(emulator: GoogleEmulator, allowedHosts = '', policy: ScopePolicy = {}): ActivityDeps {
  useEmulatorCredentials(emulator);
  return {
    authorizer: googleAuthorizer(undefined, { iamEndpoint: emulator.url }),
    dispatcher: createDispatcher(),
    allowlist: parseAllowedHosts(allowedHosts),
    policy,
    emulatorHost: emulator.hostPort,
  };
}

export interface Stack {
  env: TestWorkflowEnvironment;
  emulator: GoogleEmulator;
  deps: ActivityDeps;
  taskQueue: string;
  worker: Worker;
  stop(): Promise<void>;
}

export interface StackOptions {
  server?: 'dev' | 'time-skipping';
  /** Serve the runtime's Prometheus metrics on this `host:port` (the first stack of a test file decides). */
  metricsBind?: string;
  devServer?: DevServerOptions;
  emulator?: EmulatorOptions;
  allowedHosts?: string;
  /** The worker's scope policy, as `LRO_ALLOWED_SERVICES`, `LRO_ALLOWED_RESOURCES`, `LRO_IMPERSONATION_ALLOWED` set it. */
  policy?: ScopePolicy;
  /** The worker's task queue. @default a fresh one */
  taskQueue?: string;
}

/** Starts a server, the emulator and a running worker on a fresh task queue. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  quietRuntime(options.metricsBind);
  const [env, emulator, workflows] = await Promise.all([
    options.server === 'time-skipping' ? startTimeSkippingServer() : startDevServer(options.devServer),
    GoogleEmulator.start(options.emulator),
    workflowBundle(),
  ]);
  process.stderr.write(`real Temporal ${options.server ?? 'dev'} server at ${env.connection.options.address}\n`);
  const deps = emulatorDeps(emulator, options.allowedHosts, options.policy);
  const taskQueue = options.taskQueue ?? unique('tq');
  const worker = await createCancellerWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    deps,
    workflowBundle: workflows,
  });
  const running = worker.run();
  return {
    env,
    emulator,
    deps,
    taskQueue,
    worker,
    async stop() {
      worker.shutdown();
      await running;
      await deps.dispatcher.close();
      await emulator.close();
      await env.teardown();
    },
  };
}

/**
 * The SDK logs every worker state change and every failed activity at INFO and WARN, which buries test
 * output; tests assert on outcomes instead. `TEST_LOG_LEVEL=INFO` (or TRACE…) brings the logs back. A test
 * file that installed its own runtime keeps it.
 */
export function quietRuntime(metricsBind?: string): void {
  const level = (process.env['TEST_LOG_LEVEL'] ?? 'ERROR') as LogLevel;
  try {
    Runtime.install({
      logger: new DefaultLogger(level),
      shutdownSignals: [],
      ...(metricsBind
        ? {
            telemetryOptions: {
              metrics: {
                prometheus: {
                  bindAddress: metricsBind,
                  histogramBucketOverrides: { [POLLS_METRIC]: [...POLLS_BUCKETS] },
                },
              },
            },
          }
        : {}),
    });
  } catch (err) {
    if (!(err instanceof IllegalStateError)) throw err;
  }
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};

/** The value of each sample of `metric` in a Prometheus text exposition, by its label set (`{a="1",b="2"}`). */
export async function scrapeMetric(metricsBind: string, metric: string): Promise<Map<string, number>> {
  const text = await (await fetch(`http://${metricsBind}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match && match[1] === metric) samples.set(match[2] ?? '{}', Number(match[3]));
  }
  return samples;
}

/** Reads until `done` says yes or `timeoutMs` passes, and returns the last value read. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits until a worker `runWorker` started logs that it polls (`lines` are its log lines), or throws why it failed
 * to start (`done` is its run).
 */
export async function untilPolling(lines: readonly string[], done: Promise<unknown>): Promise<void> {
  let failed: unknown;
  done.catch((err: unknown) => (failed = err));
  await eventually(
    async () => failed ?? lines.some((line) => line.includes('polling task queue')),
    (ready) => ready !== false,
  );
  if (failed) throw failed;
}

/**
 * Runs a README shell snippet (`examples/*.sh`) as it is written, with the Temporal CLI on the PATH and
 * `TEMPORAL_ADDRESS` aimed at `address`. Resolves to its exit code and output.
 */
export function runShellSnippet(
  file: string,
  address: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = findTemporalBinary(TEMPORAL_CLI);
  if (!cli) throw new Error('the Temporal CLI is not installed (npm run temporal:install)');
  return new Promise((resolve) => {
    execFile(
      'bash',
      [join(ROOT, file)],
      { env: { ...process.env, TEMPORAL_ADDRESS: address, PATH: `${dirname(cli)}:${process.env['PATH'] ?? ''}` } },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}
