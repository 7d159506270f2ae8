/**
 * The worker's HTTP endpoint on `LRO_METRICS_BIND`: `/metrics`, passed through unchanged from Core's Prometheus
 * exporter (which listens on a loopback port of its own), and `/healthz` and `/readyz` for container probes. Core's
 * exporter serves nothing but metrics, so the probes need a server of ours in front of it.
 */
import { createServer, request, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import type { WorkerStatus } from '@temporalio/worker';

/** The part of `Worker.getStatus()` the probes read. */
export type WorkerProbeStatus = Pick<WorkerStatus, 'runState' | 'workflowPollerState' | 'activityPollerState'>;

/**
 * Where the worker stands, as the probes tell it:
 * - `starting`: no worker yet (connecting, registering search attributes, checking credentials, loading
 *   workflows), or created and not yet running;
 * - `ready`: running, and both its workflow and activity pollers polling;
 * - `stopping`: a shutdown began (pollers stopping, in-flight tasks draining);
 * - `stopped`: shut down cleanly, the process about to exit;
 * - `failed`: the worker or one of its pollers failed.
 */
export type ProbeState = 'starting' | 'ready' | 'stopping' | 'stopped' | 'failed';

/** The {@link ProbeState} of a worker, `undefined` before one exists. */
export function probeState(status: WorkerProbeStatus | undefined): ProbeState {
  if (!status) return 'starting';
  const pollers = [status.workflowPollerState, status.activityPollerState];
  if (status.runState === 'FAILED' || pollers.includes('FAILED')) return 'failed';
  switch (status.runState) {
    case 'INITIALIZED':
      return 'starting';
    case 'RUNNING':
      return pollers.every((state) => state === 'POLLING') ? 'ready' : 'stopping';
    case 'STOPPED':
      return 'stopped';
    default:
      return 'stopping';
  }
}

/** Options for {@link serveMetricsEndpoint}. */
export interface MetricsEndpointOptions {
  /** `host:port` to listen on (`LRO_METRICS_BIND`). */
  bind: string;
  /** `host:port` of Core's Prometheus exporter, whose `/metrics` is passed through. */
  upstream: string;
  /** The worker's status now; `undefined` before the worker exists. */
  status: () => WorkerProbeStatus | undefined;
}

/** A running {@link serveMetricsEndpoint}. */
export interface MetricsEndpoint {
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

/** How long `/metrics` waits for Core's exporter before answering 502. */
const UPSTREAM_TIMEOUT_MS = 10_000;

/**
 * Serves `/metrics`, `/healthz` and `/readyz` on `options.bind`; rejects when it cannot listen there.
 *
 * `/healthz` answers 200 while the process is up and the worker has not failed (starting, running, or shutting down
 * gracefully), 503 once it failed. `/readyz` answers 200 only while the worker is running with its pollers polling
 * (`ready`), 503 during start-up and from the moment a shutdown begins. Both answer a JSON body with the
 * {@link ProbeState} as `status`, and the worker's run and poller states once it exists.
 */
export async function serveMetricsEndpoint(options: MetricsEndpointOptions): Promise<MetricsEndpoint> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://endpoint').pathname;
    if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz') return plain(res, 404, 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, 'method not allowed\n');
    }
    if (path === '/metrics') return passThrough(res, options.upstream);
    const status = options.status();
    const state = probeState(status);
    const ok = path === '/healthz' ? state !== 'failed' : state === 'ready';
    const body = JSON.stringify({ status: state, ...(status ? probeFields(status) : {}) });
    res.writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : `${body}\n`);
  });
  const { host, port } = splitHostPort(options.bind);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A TCP port on 127.0.0.1 that was free a moment ago, for Core's exporter. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createTcpServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function probeFields(status: WorkerProbeStatus): WorkerProbeStatus {
  const { runState, workflowPollerState, activityPollerState } = status;
  return { runState, workflowPollerState, activityPollerState };
}

/** Core's answer as it is (a HEAD gets its headers: Node leaves the body out). */
function passThrough(res: ServerResponse, upstream: string): void {
  const { host, port } = splitHostPort(upstream);
  const forward = request({ host, port, path: '/metrics', timeout: UPSTREAM_TIMEOUT_MS }, (up) => {
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'content-length', 'content-encoding']) {
      const value = up.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    res.writeHead(up.statusCode ?? 502, headers);
    up.pipe(res);
  });
  forward.on('timeout', () => forward.destroy(new Error(`no answer within ${UPSTREAM_TIMEOUT_MS} ms`)));
  forward.on('error', (err) => {
    if (res.headersSent) res.destroy(err);
    else plain(res, 502, `metrics exporter unavailable (${err.message})\n`);
  });
  forward.end();
}

function plain(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

/** `host:port` as `listen` and `request` take it: an IPv6 host without its brackets. */
function splitHostPort(bind: string): { host: string; port: number } {
  const at = bind.lastIndexOf(':');
  return { host: bind.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(bind.slice(at + 1)) };
}
