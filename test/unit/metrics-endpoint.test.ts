/**
 * The worker's endpoint on LRO_METRICS_BIND, on real sockets: `/metrics` passed through from an exporter standing in
 * for Core's (including one that stalls, breaks off, or outlives its client), the probes through each state of a
 * worker's life and of its connection to Temporal, and the checks of Temporal that feed them.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import {
  ANSWERED_WITHIN_MS,
  probeWorker,
  serveMetricsEndpoint,
  type MetricsEndpoint,
  type WorkerProbeStatus,
} from '../../src/temporal/metrics-endpoint';
import { watchTemporal, type CheckedConnection, type TemporalReachability } from '../../src/temporal/temporal-check';
import { freePort } from '../../src/testing/free-port';
import { eventually } from '../support/harness';

const EXPOSITION =
  '# HELP lro_outcomes Cancellers that ended, by outcome\n# TYPE lro_outcomes counter\nlro_outcomes 2\n';
const RUNNING: WorkerProbeStatus = {
  runState: 'RUNNING',
  workflowPollerState: 'POLLING',
  activityPollerState: 'POLLING',
};
const NOW = 1_000_000;
/** Temporal answered a check a second ago. */
const ANSWERING: TemporalReachability = { answeredAt: NOW - 1_000 };

describe('probeWorker', () => {
  test.each<[string, string, WorkerProbeStatus | undefined, TemporalReachability | undefined]>([
    ['no worker yet', 'starting', undefined, undefined],
    ['created, not running', 'starting', { ...RUNNING, runState: 'INITIALIZED' }, ANSWERING],
    ['running, both pollers polling, Temporal answering', 'ready', RUNNING, ANSWERING],
    ['running, Temporal answered just within the limit', 'ready', RUNNING, { answeredAt: NOW - ANSWERED_WITHIN_MS }],
    ['running, Temporal silent too long', 'unreachable', RUNNING, { answeredAt: NOW - ANSWERED_WITHIN_MS - 1 }],
    ['running, Temporal never answered a check', 'unreachable', RUNNING, { error: 'transport error' }],
    ['running, no check yet', 'unreachable', RUNNING, undefined],
    ['running, the workflow poller shut down', 'stopping', { ...RUNNING, workflowPollerState: 'SHUTDOWN' }, ANSWERING],
    ['running, the activity poller shut down', 'stopping', { ...RUNNING, activityPollerState: 'SHUTDOWN' }, ANSWERING],
    ['shutdown requested', 'stopping', { ...RUNNING, runState: 'STOPPING' }, ANSWERING],
    ['draining', 'stopping', { ...RUNNING, runState: 'DRAINING' }, ANSWERING],
    ['drained', 'stopping', { ...RUNNING, runState: 'DRAINED', workflowPollerState: 'SHUTDOWN' }, ANSWERING],
    [
      'stopped',
      'stopped',
      { runState: 'STOPPED', workflowPollerState: 'SHUTDOWN', activityPollerState: 'SHUTDOWN' },
      ANSWERING,
    ],
    ['failed', 'failed', { ...RUNNING, runState: 'FAILED' }, ANSWERING],
    ['running with a failed poller', 'failed', { ...RUNNING, activityPollerState: 'FAILED' }, ANSWERING],
  ])('%s: %s', (_, state, status, temporal) => {
    const probe = probeWorker(status, temporal, NOW);
    expect(probe.state).toBe(state);
    // Every answer but ready says why.
    expect(probe.reason === undefined).toBe(state === 'ready');
  });

  test('unreachable says for how long, and the last error', () => {
    expect(probeWorker(RUNNING, { answeredAt: NOW - 17_000, error: 'transport error' }, NOW)).toEqual({
      state: 'unreachable',
      reason: 'Temporal has not answered the worker for 17 s (transport error)',
    });
    expect(probeWorker(RUNNING, {}, NOW).reason).toBe('Temporal has not answered the worker yet');
  });
});

describe('watchTemporal', () => {
  /** A connection whose GetSystemInfo answers as `answer` says at the time of the call. */
  function connection(answer: () => 'ok' | 'fail' | 'hang'): CheckedConnection & { calls: number } {
    const fake = {
      calls: 0,
      withDeadline: <T>(_deadline: number, fn: () => Promise<T>): Promise<T> => fn(),
      workflowService: {
        getSystemInfo: () => {
          fake.calls += 1;
          const now = answer();
          if (now === 'ok') return Promise.resolve({});
          if (now === 'fail') return Promise.reject(new Error('transport error'));
          return new Promise(() => undefined);
        },
      },
    };
    return fake as unknown as CheckedConnection & { calls: number };
  }

  test('checks at once, then every interval, and records when Temporal answered', async () => {
    let answer: 'ok' | 'fail' = 'ok';
    const conn = connection(() => answer);
    const before = Date.now();
    const watch = watchTemporal(conn, { everyMs: 20, timeoutMs: 1_000 });
    try {
      const first = await eventually(
        async () => watch.reachability(),
        (found) => found.answeredAt !== undefined,
        2_000,
      );
      expect(first.answeredAt).toBeGreaterThanOrEqual(before);
      await eventually(
        async () => conn.calls,
        (calls) => calls >= 3,
        2_000,
      );
      answer = 'fail';
      const failing = await eventually(
        async () => watch.reachability(),
        (found) => found.error !== undefined,
        2_000,
      );
      // The last answer is kept: /readyz judges how long ago it was.
      expect(failing).toEqual({ answeredAt: expect.any(Number) as number, error: 'transport error' });
      answer = 'ok';
      const back = await eventually(
        async () => watch.reachability(),
        (found) => found.error === undefined,
        2_000,
      );
      expect(back.answeredAt).toBeGreaterThan(failing.answeredAt ?? Infinity);
    } finally {
      watch.stop();
    }
    const calls = conn.calls;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(conn.calls).toBe(calls);
  });

  test('a check with no answer fails at its timeout, and the checks go on: Temporal back is seen', async () => {
    let answer: 'ok' | 'hang' = 'hang';
    const conn = connection(() => answer);
    const watch = watchTemporal(conn, { everyMs: 10, timeoutMs: 50 });
    try {
      const found = await eventually(
        async () => watch.reachability(),
        (value) => value.error !== undefined,
        2_000,
      );
      expect(found).toEqual({ error: 'no answer within 50 ms' });
      answer = 'ok';
      const back = await eventually(
        async () => watch.reachability(),
        (value) => value.answeredAt !== undefined,
        2_000,
      );
      expect(back.error).toBeUndefined();
      expect(conn.calls).toBeGreaterThanOrEqual(2);
    } finally {
      watch.stop();
    }
  });
});

describe('serveMetricsEndpoint', () => {
  let exporter: Server;
  let upstream: string;
  /** How the stand-in exporter answers `/metrics`; the default answers {@link EXPOSITION}. */
  let answer: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let endpoint: MetricsEndpoint | undefined;
  let bind: string;
  let status: WorkerProbeStatus | undefined;
  let temporal: TemporalReachability | undefined;

  beforeAll(async () => {
    exporter = createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      if (answer) return answer(req, res);
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(EXPOSITION);
    });
    await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
    upstream = `127.0.0.1:${(exporter.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    exporter.closeAllConnections();
    return new Promise<void>((resolve) => exporter.close(() => resolve()));
  });
  beforeEach(async () => {
    answer = undefined;
    status = undefined;
    temporal = undefined;
    bind = `127.0.0.1:${await freePort()}`;
    endpoint = await serveMetricsEndpoint({
      bind,
      upstream,
      status: () => status,
      temporal: () => temporal,
      upstreamTimeoutMs: 300,
      maxConnections: 64,
    });
  });
  afterEach(() => endpoint?.close());

  async function probe(path: string): Promise<{ code: number; body: Record<string, unknown> }> {
    const res = await fetch(`http://${bind}${path}`);
    expect(res.headers.get('content-type')).toBe('application/json');
    return { code: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  test('/metrics is the exporter answer, unchanged', async () => {
    const res = await fetch(`http://${bind}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    expect(await res.text()).toBe(EXPOSITION);
  });

  test('while the worker starts: alive, not ready, and says why', async () => {
    expect(await probe('/healthz')).toEqual({
      code: 200,
      body: { status: 'starting', reason: expect.stringMatching(/^the worker is starting/) as string },
    });
    expect((await probe('/readyz')).code).toBe(503);
    status = { ...RUNNING, runState: 'INITIALIZED' };
    expect((await probe('/readyz')).code).toBe(503);
  });

  test('running with its pollers polling and Temporal answering: alive and ready, with the states in the body', async () => {
    status = RUNNING;
    temporal = { answeredAt: Date.now() - 2_000 };
    const ready = { status: 'ready', ...RUNNING, temporalAnsweredSecondsAgo: 2 };
    expect(await probe('/healthz')).toEqual({ code: 200, body: ready });
    expect(await probe('/readyz')).toEqual({ code: 200, body: ready });
  });

  test('running and polling, but Temporal silent for too long: not ready (and why), still alive', async () => {
    status = RUNNING;
    temporal = { answeredAt: Date.now() - ANSWERED_WITHIN_MS - 5_000, error: 'transport error' };
    const readyz = await probe('/readyz');
    expect(readyz).toEqual({
      code: 503,
      body: {
        status: 'unreachable',
        reason: 'Temporal has not answered the worker for 20 s (transport error)',
        ...RUNNING,
        temporalAnsweredSecondsAgo: 20,
      },
    });
    expect((await probe('/healthz')).code).toBe(200);
  });

  test('from the moment a shutdown begins: alive, not ready', async () => {
    temporal = { answeredAt: Date.now() };
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
    expect(await probe('/healthz')).toEqual({
      code: 503,
      body: { status: 'failed', reason: 'the worker failed', ...status },
    });
    expect((await probe('/readyz')).code).toBe(503);
  });

  test('HEAD answers the status without a body; other methods and paths are refused', async () => {
    status = RUNNING;
    temporal = { answeredAt: Date.now() };
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
    endpoint = await serveMetricsEndpoint({
      bind,
      upstream: `127.0.0.1:${await freePort()}`,
      status: () => RUNNING,
      temporal: () => ({ answeredAt: Date.now() }),
    });
    const res = await fetch(`http://${bind}/metrics`);
    expect(res.status).toBe(502);
    expect(await res.text()).toMatch(/^metrics exporter unavailable \(.*ECONNREFUSED/);
    expect((await probe('/readyz')).code).toBe(200);
  });

  test('an exporter that accepts and never answers: 502 at the timeout', async () => {
    answer = () => undefined;
    const started = Date.now();
    const res = await fetch(`http://${bind}/metrics`);
    expect(res.status).toBe(502);
    expect(await res.text()).toBe('metrics exporter unavailable (no answer within 300 ms)\n');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('an exporter that breaks off mid-answer: the answer is cut short, not left open', async () => {
    answer = (_, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('# HELP lro_outcomes partial\n');
      setTimeout(() => res.destroy(), 50);
    };
    const res = await fetch(`http://${bind}/metrics`);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  }, 10_000);

  test.each([
    ['before the exporter answers', false],
    ['in the middle of the answer', true],
  ])(
    'a client that goes away %s: the request to the exporter ends too',
    async (_, answerBegun) => {
      // An upstream timeout far away: only the client's going away may end the request.
      await endpoint?.close();
      endpoint = await serveMetricsEndpoint({
        bind,
        upstream,
        status: () => status,
        temporal: () => temporal,
        upstreamTimeoutMs: 60_000,
      });
      let asked = false;
      let upstreamClosed = false;
      answer = (req, res) => {
        asked = true;
        req.socket.on('close', () => (upstreamClosed = true));
        if (answerBegun) res.writeHead(200, { 'Content-Type': 'text/plain' }).write('# slow\n');
      };
      const { hostname, port } = new URL(`http://${bind}`);
      const client = request({ host: hostname, port: Number(port), path: '/metrics', agent: false });
      client.on('error', () => undefined);
      client.on('response', (res) => res.once('data', () => client.destroy()));
      client.end();
      if (!answerBegun) {
        await eventually(
          async () => asked,
          (value) => value,
          2_000,
        );
        client.destroy();
      }
      const closed = await eventually(
        async () => upstreamClosed,
        (value) => value,
        2_000,
      );
      expect({ asked, closed }).toEqual({ asked: true, closed: true });
    },
    10_000,
  );

  test('a client that sends its headers too slowly is cut off', async () => {
    const socket = await openSocket();
    socket.write('GET /readyz HTTP/1.1\r\nHost: x\r\n'); // and never the blank line
    const started = Date.now();
    socket.resume();
    await new Promise((resolve) => socket.once('close', resolve));
    // headersTimeout is 10 s, checked every 2 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
    expect(Date.now() - started).toBeLessThan(14_000);
  }, 30_000);

  test('a request target a URL parser would throw on is answered 404, and the endpoint goes on', async () => {
    for (const target of ['//', '//[', 'http://a:99999/']) {
      const socket = await openSocket();
      const answer = await new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
        socket.once('close', () => resolve(text));
        socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      });
      expect({ target, status: answer.split('\r\n')[0] }).toEqual({ target, status: 'HTTP/1.1 404 Not Found' });
    }
    expect((await fetch(`http://${bind}/healthz`)).status).toBe(200);
  });

  test('past 64 open connections (as set here), more are dropped until one closes', async () => {
    const sockets = await Promise.all(Array.from({ length: 64 }, () => openSocket()));
    try {
      await expect(fetch(`http://${bind}/healthz`)).rejects.toThrow();
      sockets.pop()?.destroy();
      const code = await eventually(
        () =>
          fetch(`http://${bind}/healthz`, { headers: { connection: 'close' } }).then(
            (res) => res.status,
            () => 0,
          ),
        (answered) => answered === 200,
        2_000,
      );
      expect(code).toBe(200);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  /** A connected socket to the endpoint, sending nothing yet. */
  async function openSocket(): Promise<Socket> {
    const { hostname, port } = new URL(`http://${bind}`);
    const socket = connect(Number(port), hostname);
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    return socket;
  }

  test('a bind address in use: rejects', async () => {
    await expect(
      serveMetricsEndpoint({ bind, upstream, status: () => undefined, temporal: () => undefined }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
