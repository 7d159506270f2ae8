/**
 * Traces end to end: the worker binary (`node dist/src/temporal/worker-main.js`, as `npm start` runs it) with
 * `OTEL_EXPORTER_OTLP_ENDPOINT` aimed at a local OTLP/HTTP receiver, a canceller started by a client traced with
 * Temporal's OpenTelemetry client interceptor, and one trace from the client's StartWorkflow to the cancel POST and
 * the GETs, across processes through the workflow's headers. Without the variable the worker never loads the SDK.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, propagation, trace, type ProxyTracerProvider } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundleOption } from '@temporalio/worker';
import { EXIT_CODES } from '../src/domain/exit-codes';
import { cancelWorkflowId } from '../src/domain/workflow-id';
import { startCancel } from '../src/temporal/client';
import { TRACES_SHUTDOWN_DEADLINE_MS } from '../src/temporal/tracing';
import { runWorker } from '../src/temporal/worker-main';
import { GoogleEmulator } from '../src/testing/emulator';
import { startDevServer } from '../src/testing/temporal-servers';
import { buildDist, ROOT } from './support/build';
import { unique, untilPolling, useEmulatorCredentials } from './support/harness';
import { OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver';

const WORKER = join(ROOT, 'dist', 'src', 'temporal', 'worker-main.js');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const CLIENT_SERVICE = 'traces-test-client';
/** OTLP's SpanKind CLIENT and status ERROR. */
const CLIENT = 3;
const ERROR = 2;

let server: TestWorkflowEnvironment;
let emulator: GoogleEmulator;
let receiver: OtlpReceiver;
let provider: BasicTracerProvider;
let client: Client;
let scratch: string;
/** What this process's Temporal runtime logs: the warnings of the workers run in it among them. */
const logged: string[] = [];

beforeAll(async () => {
  // Before the dev server's client installs a default runtime: the in-process workers log here.
  Runtime.install({ logger: new DefaultLogger('WARN', (entry) => logged.push(entry.message)), shutdownSignals: [] });
  [, server, emulator, receiver] = await Promise.all([
    buildDist(),
    startDevServer(),
    GoogleEmulator.start(),
    OtlpReceiver.start(),
  ]);
  // The user's client, traced their own way: its StartWorkflow span goes to the same receiver.
  provider = new BasicTracerProvider({
    resource: new Resource({ 'service.name': CLIENT_SERVICE }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${receiver.endpoint}/v1/traces` }))],
  });
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  client = new Client({
    connection: server.connection,
    interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
  });
  scratch = mkdtempSync(join(tmpdir(), 'lro-traces-'));
});
afterAll(async () => {
  await provider?.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
  await receiver?.close();
  await emulator?.close();
  await server?.teardown();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Exit {
  code: number | null;
  stderr: string;
}

/** This process's environment without our variables, Temporal's, Google's or OpenTelemetry's, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(TEMPORAL_|LRO_|OTEL_|GCE_METADATA_HOST$|GOOGLE_APPLICATION_CREDENTIALS$)/.test(key),
    ),
  );
  return { ...inherited, TEMPORAL_ADDRESS: server.connection.options.address, TEMPORAL_NAMESPACE: 'default', ...env };
}

/** Starts the worker binary with the dev server, Google through the emulator, and `env`. */
function startWorker(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--require', preload(), WORKER], {
    cwd: ROOT,
    env: childEnv({ GCE_METADATA_HOST: emulator.hostPort, LRO_EMULATOR_HOST: emulator.hostPort, ...env }),
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<Exit>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  return { child, exit, output: () => stdout };
}

/** A module preloaded into the worker that writes, as it exits, which OpenTelemetry SDK modules it loaded. */
function preload(): string {
  const path = join(scratch, 'report-loaded.js');
  writeFileSync(
    path,
    `process.on('exit', () => require('fs').writeFileSync(process.env.LOADED_REPORT, JSON.stringify(
      Object.keys(require.cache).filter((file) => /@opentelemetry[\\\\/](sdk-trace-base|exporter-trace-otlp-http)[\\\\/]/.test(file)))));`,
  );
  return path;
}

/** A fresh AlloyDB operation the emulator serves; its first GET answers UNAVAILABLE. */
function alloydb(): string {
  const name = `projects/p/locations/us-central1/operations/${unique()}`;
  emulator.addOperation({ name, apiVersion: 'v1beta', service: 'alloydb.googleapis.com' });
  emulator.failNext({ route: 'get', name }, { code: 'UNAVAILABLE' });
  return `https://alloydb.googleapis.com/v1beta/${name}`;
}

/** Cancels an operation through the test's traced client, as a user's code would with `startCancel`. */
async function cancelWithClient(operation: string, taskQueue: string): Promise<string> {
  const handle = await startCancel(client, { operation, poll: { initialInterval: '100ms' } }, { taskQueue });
  expect((await handle.result()).outcome).toBe('CANCELLED');
  return handle.workflowId;
}

/**
 * Runs a worker with `env`, one cancel by `cancel`, and stops the worker; resolves once both the worker and the
 * test's client have exported their spans.
 */
async function runAndStop(
  env: Record<string, string>,
  cancel: (operation: string, taskQueue: string) => Promise<string> = cancelWithClient,
) {
  const taskQueue = unique('tq');
  const report = join(scratch, `${taskQueue}.json`);
  const worker = startWorker({ ...env, TEMPORAL_TASK_QUEUE: taskQueue, LOADED_REPORT: report });
  await until(() => worker.output().includes('polling task queue'), worker.exit);
  const operation = alloydb();
  const workflowId = await cancel(operation, taskQueue);
  worker.child.kill('SIGTERM');
  const exit = await worker.exit;
  expect(exit.code).toBe(0);
  await provider.forceFlush();
  const loaded = JSON.parse(readFileSync(report, 'utf8')) as string[];
  return { operation, workflowId, startLine: worker.output(), loaded };
}

/** The spans of one workflow: client and activity spans name it `temporalWorkflowId`, its own spans `workflowId`. */
function spansOf(workflowId: string): ReceivedSpan[] {
  return receiver.spans.filter(
    (s) => s.attributes['temporalWorkflowId'] === workflowId || s.attributes['workflowId'] === workflowId,
  );
}

/** The span's ancestors, nearest first, as far as they were received. */
function ancestors(span: ReceivedSpan, spans: readonly ReceivedSpan[]): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (let at = span; at.parentSpanId !== '';) {
    const parent = spans.find((s) => s.spanId === at.parentSpanId && s.traceId === at.traceId);
    if (!parent) break;
    out.push(parent);
    at = parent;
  }
  return out;
}

test('one trace links the StartWorkflow to the cancel POST and the GETs, each with its method, URL, status and code', async () => {
  const run = await runAndStop({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
  expect(run.startLine).toContain(`; traces to ${receiver.endpoint}/v1/traces as "temporal-gcp-lro-worker"`);
  // A traced worker starts from the second bundle the build wrote, with the plugin's workflow interceptors in it.
  expect(run.startLine).toContain(`(${join(ROOT, 'dist', 'workflow-bundle-otel.js')})`);
  expect(run.loaded.length).toBeGreaterThan(0);

  const spans = receiver.spans;
  const startSpan = spans.find(
    (s) => s.name === 'StartWorkflow:cancelOperation' && s.attributes['temporalWorkflowId'] === run.workflowId,
  );
  expect(startSpan).toMatchObject({ service: CLIENT_SERVICE, parentSpanId: '' });
  const traceId = startSpan?.traceId;
  // Everything the worker did for this canceller is in that one trace.
  const ofWorkflow = spansOf(run.workflowId);
  expect(new Set(ofWorkflow.map((s) => s.traceId))).toEqual(new Set([traceId]));
  expect(ofWorkflow.map((s) => s.name)).toEqual(
    expect.arrayContaining(['RunWorkflow:cancelOperation', 'RunActivity:cancelAndGet']),
  );

  const google = spans.filter((s) => s.attributes['url.full']?.toString().startsWith(run.operation));
  const cancel = google.filter((s) => s.attributes['rpc.method'] === 'CancelOperation');
  expect(cancel).toHaveLength(1);
  expect(cancel[0]).toMatchObject({
    traceId,
    name: 'POST alloydb.googleapis.com {name}:cancel',
    kind: CLIENT,
    service: 'temporal-gcp-lro-worker',
    attributes: {
      'http.request.method': 'POST',
      'url.full': `${run.operation}:cancel`,
      'server.address': 'alloydb.googleapis.com',
      'http.response.status_code': 200,
      'rpc.system': 'google_api',
      'rpc.service': 'google.longrunning.Operations',
      'gcp.rpc.code': 'OK',
      'rpc.grpc.status_code': 0,
      'gcp.emulator.address': emulator.hostPort,
    },
  });
  // Under the activity, under the workflow, under the client's StartWorkflow: linked, not merely in the same trace.
  const chain = ancestors(cancel[0] as ReceivedSpan, spans);
  expect(chain.map((s) => s.name)).toEqual(
    expect.arrayContaining([
      'RunActivity:cancelAndGet',
      'RunWorkflow:cancelOperation',
      'StartWorkflow:cancelOperation',
    ]),
  );
  expect(chain.at(-1)?.spanId).toBe(startSpan?.spanId);

  const gets = google.filter((s) => s.attributes['rpc.method'] === 'GetOperation');
  expect(gets.map((s) => [s.traceId, s.name, s.attributes['url.full'], s.attributes['http.request.method']])).toEqual(
    gets.map(() => [traceId, 'GET alloydb.googleapis.com {name}', run.operation, 'GET']),
  );
  expect(gets.map((s) => s.attributes['gcp.rpc.code'])).toContain('UNAVAILABLE');
  expect(gets.find((s) => s.attributes['gcp.rpc.code'] === 'UNAVAILABLE')).toMatchObject({
    status: { code: ERROR },
    attributes: { 'http.response.status_code': 503, 'rpc.grpc.status_code': 14, 'error.type': 'UNAVAILABLE' },
  });
  expect(gets.at(-1)?.attributes).toMatchObject({
    'gcp.rpc.code': 'OK',
    'http.response.status_code': 200,
    'gcp.operation.state': 'cancelled',
    'gcp.operation.error_code': 'CANCELLED',
  });

  // No credential anywhere in what was exported: not the tokens the emulator issued, not an Authorization header.
  const exported = receiver.bodies.join('\n');
  expect(emulator.tokensIssued().length).toBeGreaterThan(0);
  for (const token of emulator.tokensIssued()) expect(exported).not.toContain(token);
  expect(exported).not.toMatch(/bearer/i);
  expect(exported).not.toMatch(/authorization/i);
});

test('without OTEL_EXPORTER_OTLP_ENDPOINT the worker loads no OpenTelemetry SDK and exports nothing', async () => {
  const before = receiver.spans.length;
  const run = await runAndStop({ OTEL_SERVICE_NAME: 'untraced-worker' });
  expect(run.startLine).not.toContain('traces to');
  expect(run.startLine).toContain(`(${join(ROOT, 'dist', 'workflow-bundle.js')})`);
  expect(run.loaded).toEqual([]);
  const received = receiver.spans.slice(before);
  // The client's own span, and nothing from the worker.
  expect(received.map((s) => s.service)).toEqual([CLIENT_SERVICE]);
  expect(spansOf(run.workflowId)).toEqual([expect.objectContaining({ name: 'StartWorkflow:cancelOperation' })]);
});

test('the command line, traced by the same variables, starts the trace: `cancel --wait` to the cancel POST', async () => {
  const viaCli = (operation: string, taskQueue: string) =>
    new Promise<string>((resolve, reject) => {
      const env = childEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
      execFile(
        process.execPath,
        [CLI, 'cancel', operation, '--wait', '--task-queue', taskQueue, '--poll-interval', '100ms'],
        { cwd: ROOT, env },
        (error, stdout, stderr) =>
          error ? reject(new Error(`cancel failed: ${stdout}${stderr}`)) : resolve(cancelWorkflowId(operation)),
      );
    });
  const run = await runAndStop({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint }, viaCli);
  const start = spansOf(run.workflowId).find((s) => s.name === 'StartWorkflow:cancelOperation');
  expect(start).toMatchObject({ service: 'temporal-gcp-lro-cli', parentSpanId: '' });
  const cancel = receiver.spans.find((s) => s.attributes['url.full'] === `${run.operation}:cancel`);
  expect(cancel).toMatchObject({ traceId: start?.traceId, service: 'temporal-gcp-lro-worker' });
  expect(ancestors(cancel as ReceivedSpan, receiver.spans).at(-1)?.spanId).toBe(start?.spanId);
});

/**
 * Runs `runWorker` in this process, whose tracer provider is the test's own (as an application with NodeSDK has one),
 * with `OTEL_EXPORTER_OTLP_ENDPOINT` set, until it polls.
 */
async function startInProcess(workflowBundle: WorkflowBundleOption, taskQueue: string) {
  useEmulatorCredentials(emulator);
  const stopping = new AbortController();
  const lines: string[] = [];
  const done = runWorker({
    env: {
      TEMPORAL_ADDRESS: server.connection.options.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: taskQueue,
      LRO_EMULATOR_HOST: emulator.hostPort,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    },
    signal: stopping.signal,
    log: (line) => lines.push(line),
    worker: { workflowBundle },
  });
  await untilPolling(lines, done);
  return {
    lines,
    async stop() {
      stopping.abort();
      await done;
    },
  };
}

describe('runWorker in a process with a tracer provider of its own', () => {
  test('starts; that provider records the activities and Google calls, the worker exports the workflows, one trace', async () => {
    const taskQueue = unique('tq');
    const worker = await startInProcess({ codePath: join(ROOT, 'dist', 'workflow-bundle-otel.js') }, taskQueue);
    const operation = alloydb();
    let workflowId: string;
    try {
      workflowId = await cancelWithClient(operation, taskQueue);
    } finally {
      await worker.stop();
    }
    await provider.forceFlush();
    expect(worker.lines).toContainEqual(
      expect.stringMatching(/^temporal-gcp-lro worker: traces: this process has an OpenTelemetry tracer provider/),
    );

    const spans = receiver.spans;
    const start = spansOf(workflowId).find((s) => s.name === 'StartWorkflow:cancelOperation');
    expect(spansOf(workflowId).find((s) => s.name === 'RunWorkflow:cancelOperation')).toMatchObject({
      traceId: start?.traceId,
      service: 'temporal-gcp-lro-worker',
    });
    const cancel = spans.find((s) => s.attributes['url.full'] === `${operation}:cancel`);
    expect(cancel).toMatchObject({ traceId: start?.traceId, service: CLIENT_SERVICE });
    const chain = ancestors(cancel as ReceivedSpan, spans);
    expect(chain.map((s) => [s.name, s.service])).toEqual([
      ['RunActivity:cancelAndGet', CLIENT_SERVICE],
      ['StartActivity:cancelAndGet', 'temporal-gcp-lro-worker'],
      ['RunWorkflow:cancelOperation', 'temporal-gcp-lro-worker'],
      ['StartWorkflow:cancelOperation', CLIENT_SERVICE],
    ]);
    // The process's own set-up is still the global one after the worker stopped.
    expect((trace.getTracerProvider() as ProxyTracerProvider).getDelegate()).toBe(provider);
    expect(logged.filter((message) => message.includes('workflowBundle'))).toEqual([]);
  });

  test('a workflowBundle without the OpenTelemetry workflow interceptors is a warning as it starts', async () => {
    const before = logged.length;
    const worker = await startInProcess({ codePath: join(ROOT, 'dist', 'workflow-bundle.js') }, unique('tq'));
    await worker.stop();
    expect(logged.slice(before)).toContainEqual(
      expect.stringMatching(/^traces: the workflowBundle given has no OpenTelemetry workflow interceptors: /),
    );
  });
});

test('a collector that takes the connection and never answers: worker and command line exit within the deadline', async () => {
  const held: Socket[] = [];
  const hole = createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(hole.address() as AddressInfo).port}`;
  try {
    const taskQueue = unique('tq');
    const worker = startWorker({
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      TEMPORAL_TASK_QUEUE: taskQueue,
      LOADED_REPORT: join(scratch, `${taskQueue}.json`),
    });
    await until(() => worker.output().includes('polling task queue'), worker.exit);

    const operation = alloydb();
    const cli = spawn(
      process.execPath,
      [CLI, 'cancel', operation, '--wait', '--task-queue', taskQueue, '--poll-interval', '100ms'],
      { cwd: ROOT, env: childEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }) },
    );
    started.push(cli);
    let stdout = '';
    let lastOutput = Date.now();
    cli.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      lastOutput = Date.now();
    });
    const code = await new Promise<number | null>((resolve) => cli.on('exit', resolve));
    // From the outcome printed to the exit: the export of the command's span, given up at the deadline.
    const cliLingered = Date.now() - lastOutput;
    expect(code).toBe(EXIT_CODES.CANCELLED);
    expect(stdout).toMatch(/^CANCELLED: /m);
    // Without the deadline: the exporter's 10 s timeout.
    expect(cliLingered).toBeLessThan(TRACES_SHUTDOWN_DEADLINE_MS + 3_000);

    const stopping = Date.now();
    worker.child.kill('SIGTERM');
    expect((await worker.exit).code).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(TRACES_SHUTDOWN_DEADLINE_MS + 4_000);
  } finally {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => hole.close(resolve));
  }
});

test('OTEL_EXPORTER_OTLP_PROTOCOL=grpc: the command line says so in one line and runs untraced; the worker refuses it', async () => {
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' };
  const operation = alloydb();
  const run = await new Promise<{ code: unknown; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      [CLI, 'cancel', operation, '--task-queue', unique('tq')],
      { cwd: ROOT, env: childEnv(otel) },
      (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }),
    ),
  );
  expect(run).toMatchObject({ code: EXIT_CODES.OK, stdout: `${cancelWorkflowId(operation)}\n` });
  expect(run.stderr).toMatch(
    /^temporal-gcp-lro: not tracing this command \(OTEL_EXPORTER_OTLP_PROTOCOL: must be [^\n]+\)\n$/,
  );
  expect(spansOf(cancelWorkflowId(operation))).toEqual([]);

  const taskQueue = unique('tq');
  const worker = startWorker({
    ...otel,
    TEMPORAL_TASK_QUEUE: taskQueue,
    LOADED_REPORT: join(scratch, `${taskQueue}.json`),
  });
  const exit = await worker.exit;
  expect(exit.code).toBe(EXIT_CODES.USAGE);
  expect(exit.stderr).toMatch(/^temporal-gcp-lro worker: OTEL_EXPORTER_OTLP_PROTOCOL: must be [^\n]+\n$/);
});

/** Waits for `done`, failing early if the process exits first. */
async function until(done: () => boolean, exit: Promise<Exit>, timeoutMs = 30_000): Promise<void> {
  let exited: Exit | undefined;
  void exit.then((e) => (exited = e));
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (exited) throw new Error(`the worker exited (${exited.code}): ${exited.stderr}`);
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
