/**
 * Each Google call as a span, in process: the Operations client against the emulator, under a tracer provider that
 * keeps its spans in memory. Method, the Google URL (never a credential), status, google.rpc code, and ERROR for
 * every answer that is not OK.
 */
import { context, propagation, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import type { ActivityDeps } from '../activities';
import { redactUrl, traceGoogleCall } from '../src/google/call-span';
import { GoogleCallFailure, OperationsClient } from '../src/google/operations-client';
import { GoogleEmulator } from '../src/testing/emulator';
import { emulatorDeps, unique } from './support/harness';

const LOCATION = 'projects/p/locations/us-central1';
const CANCELLER = 'canceller@p.iam.gserviceaccount.com';

let emulator: GoogleEmulator;
let deps: ActivityDeps;
let client: OperationsClient;
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(async () => {
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  emulator = await GoogleEmulator.start();
  deps = emulatorDeps(emulator, '', { impersonation: [CANCELLER] });
  client = new OperationsClient(deps);
});
afterAll(async () => {
  await deps?.dispatcher.close();
  await emulator?.close();
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});
beforeEach(() => exporter.reset());

function alloydb(): { name: string; operation: string } {
  const name = `${LOCATION}/operations/${unique()}`;
  emulator.addOperation({ name, apiVersion: 'v1', service: 'alloydb.googleapis.com' });
  return { name, operation: `https://alloydb.googleapis.com/v1/${name}` };
}

function spans(): ReadableSpan[] {
  return exporter.getFinishedSpans();
}

test('a NOT_FOUND answer is a value for the workflow, and an ERROR span with its 404 and code', async () => {
  const operation = `https://alloydb.googleapis.com/v1/${LOCATION}/operations/${unique('missing')}`;
  expect(await client.get({ operation })).toMatchObject({ found: false });
  expect(spans()).toHaveLength(1);
  const [span] = spans();
  expect(span?.name).toBe('GET alloydb.googleapis.com {name}');
  expect(span?.attributes).toMatchObject({
    'http.request.method': 'GET',
    'url.full': operation,
    'http.response.status_code': 404,
    'gcp.rpc.code': 'NOT_FOUND',
    'rpc.grpc.status_code': 5,
    'error.type': 'NOT_FOUND',
  });
  expect(span?.status.code).toBe(SpanStatusCode.ERROR);
});

test('a failure thrown (PERMISSION_DENIED, a reset) is recorded with its code, and the status only when one came', async () => {
  const { name, operation } = alloydb();
  emulator.failNext({ route: 'cancel', name }, { code: 'PERMISSION_DENIED' });
  await expect(client.cancel({ operation })).rejects.toBeInstanceOf(GoogleCallFailure);
  emulator.failNext({ route: 'get', name }, { reset: true });
  await expect(client.get({ operation })).rejects.toBeInstanceOf(GoogleCallFailure);
  const [refused, reset] = spans();
  expect(refused?.attributes).toMatchObject({
    'http.response.status_code': 403,
    'gcp.rpc.code': 'PERMISSION_DENIED',
    'rpc.grpc.status_code': 7,
  });
  expect(refused?.status).toMatchObject({
    code: SpanStatusCode.ERROR,
    message: expect.stringMatching(/^PERMISSION_DENIED: /),
  });
  expect(reset?.attributes).toMatchObject({ 'gcp.rpc.code': 'UNAVAILABLE' });
  expect(reset?.attributes['http.response.status_code']).toBeUndefined();
  expect(reset?.status.code).toBe(SpanStatusCode.ERROR);
});

test('ListOperations and WaitOperation: their routes in the name, the page token never recorded', async () => {
  const { operation } = alloydb();
  alloydb();
  const page = { parent: LOCATION, service: 'alloydb.googleapis.com', apiVersion: 'v1', filter: 'done = false' };
  const { nextPageToken } = await client.list({ ...page, pageSize: 1 });
  expect(nextPageToken).toBeDefined();
  await client.list({ ...page, pageSize: 1, pageToken: nextPageToken as string });
  await client.wait({ operation }, 10);
  const [, list, wait] = spans();
  expect(list?.name).toBe('GET alloydb.googleapis.com {parent}/operations');
  expect(list?.attributes).toMatchObject({
    'rpc.method': 'ListOperations',
    'url.full': `https://alloydb.googleapis.com/v1/${LOCATION}/operations?filter=done%20%3D%20false&pageSize=1&pageToken=REDACTED`,
    'gcp.rpc.code': 'OK',
  });
  expect(wait?.name).toBe('POST alloydb.googleapis.com {name}:wait');
  expect(wait?.attributes).toMatchObject({ 'rpc.method': 'WaitOperation', 'url.full': `${operation}:wait` });
  expect(JSON.stringify(spans().map((s) => s.attributes))).not.toContain(nextPageToken);
});

test('an impersonated call: the token mint is a span inside the call it was minted for, with no token in either', async () => {
  emulator.allowImpersonation(CANCELLER);
  const { operation } = alloydb();
  await client.cancel({ operation, impersonate: CANCELLER });
  const mint = spans().find((s) => s.attributes['rpc.method'] === 'GenerateAccessToken');
  const cancel = spans().find((s) => s.attributes['rpc.method'] === 'CancelOperation');
  expect(mint?.name).toBe('POST 127.0.0.1 {name}:generateAccessToken');
  expect(mint?.attributes).toMatchObject({
    'url.full': `${emulator.url}/v1/projects/-/serviceAccounts/${encodeURIComponent(CANCELLER)}:generateAccessToken`,
    'http.response.status_code': 200,
    'gcp.rpc.code': 'OK',
  });
  expect(mint?.parentSpanId).toBe(cancel?.spanContext().spanId);
  const recorded = JSON.stringify(spans().map((s) => [s.attributes, s.status, s.events]));
  for (const token of emulator.tokensIssued()) expect(recorded).not.toContain(token);
  expect(recorded).not.toMatch(/bearer/i);
});

test('a refused mint is PERMISSION_DENIED on its span', async () => {
  const account = `refused-${unique()}@p.iam.gserviceaccount.com`;
  const { operation } = alloydb();
  const allowing = new OperationsClient({ ...deps, policy: { impersonation: [account] } });
  await expect(allowing.cancel({ operation, impersonate: account })).rejects.toBeInstanceOf(GoogleCallFailure);
  const mint = spans().find((s) => s.attributes['rpc.method'] === 'GenerateAccessToken');
  expect(mint?.attributes).toMatchObject({ 'http.response.status_code': 403, 'gcp.rpc.code': 'PERMISSION_DENIED' });
  expect(mint?.status.code).toBe(SpanStatusCode.ERROR);
});

test('a call its activity cancelled: no ERROR status, no error.type, a cancelled event', async () => {
  const { operation } = alloydb();
  await expect(client.get({ operation }, AbortSignal.abort())).rejects.toThrow();
  const [span] = spans();
  expect(span?.name).toBe('GET alloydb.googleapis.com {name}');
  expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  expect(span?.attributes['error.type']).toBeUndefined();
  expect(span?.events.map((e) => e.name)).toEqual(['cancelled']);
});

test("a failure that cannot be classified still ends the span, and the caller gets the call's own error", async () => {
  const spec = {
    method: 'GET',
    rpcService: 'google.longrunning.Operations',
    rpcMethod: 'GetOperation',
    route: '{name}',
    url: 'https://alloydb.googleapis.com/v1/operations/op-1',
  } as const;
  const thrown = new Error('reset by peer');
  const failureOf = () => {
    throw new TypeError('classifier broke');
  };
  await expect(traceGoogleCall(spec, () => Promise.reject(thrown), failureOf)).rejects.toBe(thrown);
  const [span] = spans();
  expect(span?.ended).toBe(true);
  expect(span?.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'classifier broke' });
  expect(span?.attributes['error.type']).toBe('TypeError');
});

test('recorded URLs keep no credential-bearing query value', () => {
  expect(redactUrl('https://h.googleapis.com/v1/x/operations?pageToken=abc&key=AIzaSecret&filter=a+b')).toBe(
    'https://h.googleapis.com/v1/x/operations?pageToken=REDACTED&key=REDACTED&filter=a%20b',
  );
  expect(redactUrl('https://h.googleapis.com/v1/operations/op-1:cancel')).toBe(
    'https://h.googleapis.com/v1/operations/op-1:cancel',
  );
});
