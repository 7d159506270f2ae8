/**
 * What `startTracing` does to the process and what it leaves behind: in a process with an OpenTelemetry set-up of its
 * own, that set-up stays and is used; at shutdown, only what it registered is unregistered, within a deadline even
 * when the collector never answers; OpenTelemetry's own warnings reach the log on one bounded, redacted line.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { context, propagation, ROOT_CONTEXT, trace, type ProxyTracerProvider } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MAX_MESSAGE_LENGTH } from '../src/domain/google-error';
import { startTracing, TRACES_SHUTDOWN_DEADLINE_MS, type TracingConfig } from '../src/temporal/tracing';

const servers: (HttpServer | TcpServer)[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  trace.disable();
  context.disable();
  propagation.disable();
});

async function listening<T extends HttpServer | TcpServer>(server: T): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A collector that accepts every connection and never answers. */
function blackHole(): Promise<string> {
  return listening(createTcpServer((socket) => sockets.push(socket)));
}

function config(endpoint: string): TracingConfig {
  return { tracesUrl: `${endpoint}/v1/traces`, serviceName: 'lifecycle-test' };
}

/** Ends one span through whatever tracer provider is global now. */
function oneSpan(name = 'work'): void {
  trace.getTracer('lifecycle-test').startSpan(name).end();
}

test('in a process with its own tracer provider, context manager and propagator: all three stay, used and registered', async () => {
  const exporter = new InMemorySpanExporter();
  const own = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  own.register({ contextManager, propagator: new W3CTraceContextPropagator() });
  const infos: string[] = [];

  const tracing = await startTracing(config(await blackHole()), { info: (line) => infos.push(line) });
  expect(tracing.sharedProvider).toBe(true);
  expect(infos).toEqual([
    expect.stringMatching(/^this process has an OpenTelemetry tracer provider already: .* the workflows' spans to /),
  ]);
  oneSpan('during');
  await tracing.shutdown();
  oneSpan('after');

  // The process's provider took the spans, before and after, and is the global one still.
  expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['during', 'after']);
  expect((trace.getTracerProvider() as ProxyTracerProvider).getDelegate()).toBe(own);
  expect(propagation.fields()).toEqual(['traceparent', 'tracestate']);
  const span = trace.getTracer('t').startSpan('active');
  expect(context.with(trace.setSpan(ROOT_CONTEXT, span), () => trace.getActiveSpan())).toBe(span);
  span.end();
  await own.shutdown();
});

test('in a process without one: it registers all three, and unregisters them at shutdown', async () => {
  const tracing = await startTracing(config(await listening(createHttpServer((_, res) => res.end('{}')))));
  expect(tracing.sharedProvider).toBe(false);
  expect(trace.getTracer('t').startSpan('during').isRecording()).toBe(true);
  expect(propagation.fields()).toEqual(['traceparent', 'tracestate', 'baggage']);
  await tracing.shutdown();
  expect(propagation.fields()).toEqual([]);
  expect(trace.getTracer('t').startSpan('after').isRecording()).toBe(false);
});

test('a collector that never answers holds shutdown for the deadline, not the exporter timeouts', async () => {
  const warnings: string[] = [];
  const tracing = await startTracing(config(await blackHole()), { warn: (line) => warnings.push(line) });
  oneSpan();
  const started = Date.now();
  await tracing.shutdown();
  const took = Date.now() - started;
  expect(took).toBeGreaterThanOrEqual(TRACES_SHUTDOWN_DEADLINE_MS - 50);
  // The exporter alone would wait 10 s for its request.
  expect(took).toBeLessThan(TRACES_SHUTDOWN_DEADLINE_MS + 2_000);
  expect(warnings).toContain(
    `spans not exported within ${TRACES_SHUTDOWN_DEADLINE_MS} ms of shutting down were dropped`,
  );
});

test("OpenTelemetry's warnings carry a collector's text on one bounded line, credentials redacted", async () => {
  const token = `ya29.${'a'.repeat(40)}`;
  const reason = `refused ${token} ${'x'.repeat(8_000)}`;
  const endpoint = await listening(createHttpServer((_, res) => res.writeHead(400, reason).end()));
  const warnings: string[] = [];
  const tracing = await startTracing(config(endpoint), { warn: (line) => warnings.push(line) });
  // A full batch is exported at once, and its failure reported through OpenTelemetry's own log.
  for (let i = 0; i < 512; i++) oneSpan();
  while (warnings.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  // The last one is exported at shutdown: its failure is the worker's to report.
  oneSpan();
  await tracing.shutdown();
  expect(warnings).toEqual([
    expect.stringMatching(/^refused \[redacted\] x+…$/),
    expect.stringMatching(/^spans not exported at shutdown: refused \[redacted\] x+…$/),
  ]);
  for (const line of warnings) {
    expect(line.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(line).not.toContain('\n');
    expect(line).not.toContain(token);
  }
});

test('a workflow bundle without the OpenTelemetry workflow interceptors is worth a warning; one with them is not', async () => {
  const warnings: string[] = [];
  const tracing = await startTracing(config(await blackHole()), { warn: (line) => warnings.push(line) });
  try {
    await tracing.checkWorkflowBundle(undefined);
    await tracing.checkWorkflowBundle({
      code: `importInterceptors = () => [require("./node_modules/@temporalio/interceptors-opentelemetry/lib/workflow-interceptors.js")]`,
    });
    expect(warnings).toEqual([]);
    await tracing.checkWorkflowBundle({ code: 'importInterceptors = () => []' });
    expect(warnings).toEqual([
      expect.stringMatching(/^the workflowBundle given has no OpenTelemetry workflow interceptors: its workflows/),
    ]);
  } finally {
    await tracing.shutdown();
  }
});
