/**
 * The worker's endpoint on LRO_METRICS_BIND, on real sockets: `/metrics` passed through from an exporter standing in
 * for Core's, and the probes through each state of a worker's life.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  probeState,
  serveMetricsEndpoint,
  type MetricsEndpoint,
  type WorkerProbeStatus,
} from '../../src/temporal/metrics-endpoint';
import { freePort } from '../../src/testing/free-port';

const EXPOSITION =
  '# HELP lro_outcomes Cancellers that ended, by outcome\n# TYPE lro_outcomes counter\nlro_outcomes 2\n';
const RUNNING: WorkerProbeStatus = {
  runState: 'RUNNING',
  workflowPollerState: 'POLLING',
  activityPollerState: 'POLLING',
};

describe('probeState', () => {
  test.each<[string, string, WorkerProbeStatus | undefined]>([
    ['no worker yet', 'starting', undefined],
    ['created, not running', 'starting', { ...RUNNING, runState: 'INITIALIZED' }],
    ['running, both pollers polling', 'ready', RUNNING],
    ['running, the workflow poller shut down', 'stopping', { ...RUNNING, workflowPollerState: 'SHUTDOWN' }],
    ['running, the activity poller shut down', 'stopping', { ...RUNNING, activityPollerState: 'SHUTDOWN' }],
    ['shutdown requested', 'stopping', { ...RUNNING, runState: 'STOPPING' }],
    ['draining', 'stopping', { ...RUNNING, runState: 'DRAINING' }],
    ['drained', 'stopping', { ...RUNNING, runState: 'DRAINED', workflowPollerState: 'SHUTDOWN' }],
    ['stopped', 'stopped', { runState: 'STOPPED', workflowPollerState: 'SHUTDOWN', activityPollerState: 'SHUTDOWN' }],
    ['failed', 'failed', { ...RUNNING, runState: 'FAILED' }],
    ['running with a failed poller', 'failed', { ...RUNNING, activityPollerState: 'FAILED' }],
  ])('%s: %s', (_, state, status) => {
    expect(probeState(status)).toBe(state);
  });
});

describe('serveMetricsEndpoint', () => {
  let exporter: Server;
  let upstream: string;
  let endpoint: MetricsEndpoint | undefined;
  let bind: string;
  let status: WorkerProbeStatus | undefined;

  beforeAll(async () => {
    exporter = createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(EXPOSITION);
    });
    await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
    upstream = `127.0.0.1:${(exporter.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => exporter.close(() => resolve())));
  beforeEach(async () => {
    status = undefined;
    bind = `127.0.0.1:${await freePort()}`;
    endpoint = await serveMetricsEndpoint({ bind, upstream, status: () => status });
  });
  afterEach(() => endpoint?.close());

  async function probe(path: string): Promise<{ code: number; body: unknown }> {
    const res = await fetch(`http://${bind}${path}`);
    expect(res.headers.get('content-type')).toBe('application/json');
    return { code: res.status, body: await res.json() };
  }

  test('/metrics is the exporter answer, unchanged', async () => {
    const res = await fetch(`http://${bind}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    expect(await res.text()).toBe(EXPOSITION);
  });

  test('while the worker starts: alive, not ready', async () => {
    expect(await probe('/healthz')).toEqual({ code: 200, body: { status: 'starting' } });
    expect(await probe('/readyz')).toEqual({ code: 503, body: { status: 'starting' } });
    status = { ...RUNNING, runState: 'INITIALIZED' };
    expect((await probe('/readyz')).code).toBe(503);
  });

  test('running with its pollers polling: alive and ready, with the states in the body', async () => {
    status = RUNNING;
    expect(await probe('/healthz')).toEqual({ code: 200, body: { status: 'ready', ...RUNNING } });
    expect(await probe('/readyz')).toEqual({ code: 200, body: { status: 'ready', ...RUNNING } });
  });

  test('from the moment a shutdown begins: alive, not ready', async () => {
    for (const runState of ['STOPPING', 'DRAINING', 'DRAINED', 'STOPPED'] as const) {
      status = { ...RUNNING, runState };
      expect({ runState, healthz: (await probe('/healthz')).code, readyz: (await probe('/readyz')).code }).toEqual({
        runState,
        healthz: 200,
        readyz: 503,
      });
    }
  });

  test('failed: neither alive nor ready', async () => {
    status = { ...RUNNING, runState: 'FAILED' };
    expect(await probe('/healthz')).toEqual({ code: 503, body: { status: 'failed', ...status } });
    expect((await probe('/readyz')).code).toBe(503);
  });

  test('HEAD answers the status without a body; other methods and paths are refused', async () => {
    status = RUNNING;
    const head = await fetch(`http://${bind}/readyz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`http://${bind}/readyz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`http://${bind}/`)).status).toBe(404);
  });

  test('an exporter that does not answer: 502 on /metrics, the probes unaffected', async () => {
    await endpoint?.close();
    endpoint = await serveMetricsEndpoint({ bind, upstream: `127.0.0.1:${await freePort()}`, status: () => RUNNING });
    const res = await fetch(`http://${bind}/metrics`);
    expect(res.status).toBe(502);
    expect(await res.text()).toMatch(/^metrics exporter unavailable \(.*ECONNREFUSED/);
    expect((await probe('/readyz')).code).toBe(200);
  });

  test('a bind address in use: rejects', async () => {
    await expect(serveMetricsEndpoint({ bind, upstream, status: () => undefined })).rejects.toThrow(/EADDRINUSE/);
  });
});
