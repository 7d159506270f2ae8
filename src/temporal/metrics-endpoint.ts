/**
 * The worker's HTTP endpoint on `LRO_METRICS_BIND`: `/metrics`, passed through unchanged from Core's Prometheus
 * exporter (which listens on a loopback port of its own), and `/healthz` and `/readyz` for container probes. Core's
 * exporter serves nothing but metrics, so the probes need a server of ours in front of it.
 */
import { createServer, request, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import type { WorkerStatus } from '@temporalio/worker';
import type { TemporalReachability } from './temporal-check';

/** The part of `Worker.getStatus()` the probes read. */
export type WorkerProbeStatus = Pick<WorkerStatus, 'runState' | 'workflowPollerState' | 'activityPollerState'>;

/**
 * Where the worker stands, as the probes tell it:
 * - `starting`: no worker yet (connecting, registering search attributes, checking credentials, loading
 *   workflows), or created and not yet running;
 * - `ready`: running, both its workflow and activity pollers polling, and Temporal answered a check lately;
 * - `unreachable`: running and polling, but Temporal has not answered a check for {@link ANSWERED_WITHIN_MS}
 *   (the SDK's pollers stay `POLLING` while Core retries them, so their state alone cannot tell);
 * - `stopping`: a shutdown began (pollers stopping, in-flight tasks draining);
 * - `stopped`: shut down cleanly, the process about to exit;
 * - `failed`: the worker or one of its pollers failed.
 */
export type ProbeState = 'starting' | 'ready' | 'unreachable' | 'stopping' | 'stopped' | 'failed';

/** A {@link ProbeState}, and why it is not `ready`. */
export interface WorkerProbe {
  state: ProbeState;
  /** One sentence, when the state is not `ready`. */
  reason?: string;
}

/** How recently Temporal must have answered a check for `/readyz` to say ready. */
export const ANSWERED_WITHIN_MS = 15_000;

/**
 * The {@link WorkerProbe} of a worker (`undefined` before one exists), given what the checks of Temporal found (see
 * `watchTemporal`) at `now`.
 */
export function probeWorker(
  status: WorkerProbeStatus | undefined,
  temporal: TemporalReachability | undefined,
  now: number = Date.now(),
): WorkerProbe {
  if (!status) {
    return {
      state: 'starting',
      reason: 'the worker is starting: connecting to Temporal, checking Google credentials, loading the workflows',
    };
  }
  const failed = [
    ...(status.runState === 'FAILED' ? ['the worker'] : []),
    ...(status.workflowPollerState === 'FAILED' ? ['its workflow poller'] : []),
    ...(status.activityPollerState === 'FAILED' ? ['its activity poller'] : []),
  ];
  if (failed.length > 0) return { state: 'failed', reason: `${failed.join(' and ')} failed` };
  switch (status.runState) {
    case 'INITIALIZED':
      return { state: 'starting', reason: 'the worker is created but not running yet' };
    case 'RUNNING': {
      if (status.workflowPollerState !== 'POLLING' || status.activityPollerState !== 'POLLING') {
        return { state: 'stopping', reason: 'the worker is running but its pollers are shutting down' };
      }
      const answeredAt = temporal?.answeredAt;
      if (answeredAt !== undefined && now - answeredAt <= ANSWERED_WITHIN_MS) return { state: 'ready' };
      const since =
        answeredAt === undefined
          ? 'has not answered the worker yet'
          : `has not answered the worker for ${Math.round((now - answeredAt) / 1000)} s`;
      return {
        state: 'unreachable',
        reason: `Temporal ${since}${temporal?.error ? ` (${temporal.error})` : ''}`,
      };
    }
    case 'STOPPED':
      return { state: 'stopped', reason: 'the worker has stopped' };
    default:
      return { state: 'stopping', reason: `the worker is shutting down (${status.runState})` };
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
  /** What the checks of Temporal found so far (`watchTemporal`); `undefined` before they start. */
  temporal: () => TemporalReachability | undefined;
  /** How long `/metrics` waits for Core's exporter before answering 502. @default 10000 */
  upstreamTimeoutMs?: number;
  /** Open connections beyond this are dropped at once. @default 1024 */
  maxConnections?: number;
}

/** A running {@link serveMetricsEndpoint}. */
export interface MetricsEndpoint {
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

/**
 * Limits of the endpoint's server, which may listen on every interface (the compose file binds 0.0.0.0): a client
 * that sends its headers too slowly, or holds many connections, cannot keep the probes from answering.
 */
const SERVER_LIMITS = {
  headersTimeout: 10_000,
  requestTimeout: 15_000,
  // Node checks those timeouts this often (30 s by default, which would make 10 s up to 40).
  connectionsCheckingInterval: 2_000,
};
/**
 * Connections beyond this are dropped at once: enough that holding them all open costs an attacker as much as
 * exhausting file descriptors would, so a cap cannot be used to starve the probes.
 */
const MAX_CONNECTIONS = 1_024;

/**
 * Serves `/metrics`, `/healthz` and `/readyz` on `options.bind`; rejects when it cannot listen there.
 *
 * `/healthz` answers 200 while the process is up and the worker has not failed (starting, running, Temporal unreachable,
 * or shutting down gracefully), 503 once it failed. `/readyz` answers 200 only while the worker is running with its
 * pollers polling and Temporal answered lately (`ready`), 503 otherwise. Both answer a JSON body with the
 * {@link ProbeState} as `status`, a `reason` when not ready, the worker's run and poller states once it exists, and
 * how long ago Temporal last answered.
 */
export async function serveMetricsEndpoint(options: MetricsEndpointOptions): Promise<MetricsEndpoint> {
  const server = createServer(SERVER_LIMITS, (req, res) => {
    // Not `new URL`: Node's parser lets through targets it throws on (`//`), and a throw here would end the worker.
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz') return plain(res, 404, 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, 'method not allowed\n');
    }
    if (path === '/metrics') return passThrough(res, options.upstream, options.upstreamTimeoutMs ?? 10_000);
    const now = Date.now();
    const status = options.status();
    const temporal = options.temporal();
    const { state, reason } = probeWorker(status, temporal, now);
    const ok = path === '/healthz' ? state !== 'failed' : state === 'ready';
    const body = JSON.stringify({
      status: state,
      ...(reason ? { reason } : {}),
      ...(status ? probeFields(status) : {}),
      ...(temporal?.answeredAt !== undefined
        ? { temporalAnsweredSecondsAgo: Math.round((now - temporal.answeredAt) / 1000) }
        : {}),
    });
    res.writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : `${body}\n`);
  });
  server.maxConnections = options.maxConnections ?? MAX_CONNECTIONS;
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

/**
 * Core's answer as it is (a HEAD gets its headers: Node leaves the body out). An exporter that stops mid-answer ends
 * the response; a client that goes away ends the request to the exporter.
 */
function passThrough(res: ServerResponse, upstream: string, timeoutMs: number): void {
  const { host, port } = splitHostPort(upstream);
  const forward = request({ host, port, path: '/metrics', timeout: timeoutMs }, (up) => {
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'content-length', 'content-encoding']) {
      const value = up.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    res.writeHead(up.statusCode ?? 502, headers);
    // On an error, pipeline destroys both: the client sees its answer cut short, not one that never ends.
    pipeline(up, res, () => undefined);
  });
  forward.on('timeout', () => forward.destroy(new Error(`no answer within ${timeoutMs} ms`)));
  let clientGone = false;
  forward.on('error', (err) => {
    if (clientGone) return;
    if (res.headersSent) res.destroy(err);
    else plain(res, 502, `metrics exporter unavailable (${err.message})\n`);
  });
  res.on('close', () => {
    if (res.writableFinished) return;
    clientGone = true;
    forward.destroy();
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
