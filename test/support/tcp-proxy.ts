/**
 * A TCP proxy on a loopback port that a test can cut and restore, to take a server away from a client without stopping
 * the server: cut, it drops every connection and refuses new ones (the port stays bound, so restoring needs no new
 * address).
 */
import { connect, createServer, type Socket } from 'node:net';

/** A running {@link startTcpProxy}. */
export interface TcpProxy {
  /** `host:port` to connect to instead of the target. */
  hostPort: string;
  /** Drops every connection, and every new one until {@link TcpProxy.restore}. */
  cut(): void;
  /** Forwards again. */
  restore(): void;
  close(): Promise<void>;
}

/** Forwards `127.0.0.1:<a free port>` to `target` (`host:port`). */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const at = target.lastIndexOf(':');
  const host = target.slice(0, at);
  const port = Number(target.slice(at + 1));
  const open = new Set<Socket>();
  let cut = false;
  const server = createServer((client) => {
    if (cut) return void client.destroy();
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        open.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  return {
    hostPort: `127.0.0.1:${address.port}`,
    cut: () => {
      cut = true;
      for (const socket of open) socket.destroy();
    },
    restore: () => {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
