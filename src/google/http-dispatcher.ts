/**
 * The one undici dispatcher the activities share: keep-alive, a bounded number of connections per origin,
 * and timeouts on every phase of a request.
 */
import { Agent, type Dispatcher } from 'undici';

/** Options for {@link createDispatcher}. */
export interface DispatcherOptions {
  /** Connections per origin (Google host or emulator). @default 32 */
  connections?: number;
  /** Time to establish a connection, TLS included. @default 10_000 */
  connectTimeoutMs?: number;
  /** Time from sending the request to receiving the response headers. @default 30_000 */
  headersTimeoutMs?: number;
  /** Longest pause between two chunks of the response body. @default 30_000 */
  bodyTimeoutMs?: number;
  /** How long an idle connection is kept open. @default 30_000 */
  keepAliveTimeoutMs?: number;
}

/** Creates the shared dispatcher. Close it (`await dispatcher.close()`) when the worker stops. */
export function createDispatcher(options: DispatcherOptions = {}): Dispatcher {
  return new Agent({
    connections: options.connections ?? 32,
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    headersTimeout: options.headersTimeoutMs ?? 30_000,
    bodyTimeout: options.bodyTimeoutMs ?? 30_000,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    keepAliveMaxTimeout: 10 * 60_000,
  });
}
