/** The log of every request the emulator received, and the count of the TCP connections they came on. */
import type { Socket } from 'node:net';

import type { ConnectionKind, ConnectionStats, RecordedRequest } from './types';

/** Requests in arrival order, and connections accepted, open and most open at once, by kind. */
export class RequestLog {
  private entries: RecordedRequest[] = [];
  /** What each open connection's first request asked for. */
  private readonly connectionKinds = new WeakMap<Socket, ConnectionKind>();
  private readonly connectionCounts: Record<ConnectionKind | 'all', ConnectionStats> = {
    all: { accepted: 0, open: 0, peakOpen: 0 },
    api: { accepted: 0, open: 0, peakOpen: 0 },
    metadata: { accepted: 0, open: 0, peakOpen: 0 },
  };

  /** Every request logged since start or the last {@link RequestLog.clear}, oldest first. */
  get requests(): readonly RecordedRequest[] {
    return this.entries.slice();
  }

  /** Log a request; the caller fills in its status and fault as they become known. */
  add(record: RecordedRequest): void {
    this.entries.push(record);
  }

  /** How many logged requests match every given field of `filter`. */
  count(filter: { route?: RecordedRequest['route']; name?: string; method?: string }): number {
    return this.entries.filter(
      (r) =>
        (filter.route === undefined || r.route === filter.route) &&
        (filter.name === undefined || r.name === filter.name) &&
        (filter.method === undefined || r.method === filter.method.toUpperCase()),
    ).length;
  }

  /** Forget the requests; the connection counts stay. */
  clear(): void {
    this.entries = [];
  }

  /** Count a connection just accepted, and count it closed when it closes. */
  connectionAccepted(socket: Socket): void {
    opened(this.connectionCounts.all);
    socket.once('close', () => {
      this.connectionCounts.all.open -= 1;
      const kind = this.connectionKinds.get(socket);
      if (kind) this.connectionCounts[kind].open -= 1;
    });
  }

  /** Count `socket` as a connection of `kind`, unless an earlier request on it was counted already. */
  requestArrived(socket: Socket, kind: ConnectionKind): void {
    if (this.connectionKinds.has(socket)) return;
    this.connectionKinds.set(socket, kind);
    opened(this.connectionCounts[kind]);
  }

  /** A copy of the connection counts of `kind`. */
  connections(kind: ConnectionKind | 'all'): ConnectionStats {
    return { ...this.connectionCounts[kind] };
  }
}

function opened(stats: ConnectionStats): void {
  stats.accepted += 1;
  stats.open += 1;
  stats.peakOpen = Math.max(stats.peakOpen, stats.open);
}
