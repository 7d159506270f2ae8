/**
 * The Google emulator in a child process of the benchmark, so the worker's memory and CPU figures are the
 * worker's own. The parent scripts it and reads its request log over IPC ({@link EmulatorCommand}).
 */
import { GoogleEmulator, type ConnectionStats, type ScriptedOperation } from '../src/testing/emulator';

/** What the parent asks; every command is answered with `{ id, result }` or `{ id, error }`. */
export type EmulatorCommand =
  | { id: number; cmd: 'add'; operations: ScriptedOperation[] }
  | { id: number; cmd: 'counters' }
  | { id: number; cmd: 'calls'; prefix: string }
  | { id: number; cmd: 'polled'; prefix: string }
  | { id: number; cmd: 'clearLog' }
  | { id: number; cmd: 'close' };

/** Totals since the emulator started. */
export interface EmulatorCounters {
  /** Access tokens the metadata server issued. */
  tokensIssued: number;
  /** TCP connections: all, those to the Operations API, those to the metadata server. */
  connections: { all: ConnectionStats; api: ConnectionStats; metadata: ConnectionStats };
  /** Requests in the log (since the last clearLog). */
  logged: number;
  rssBytes: number;
}

/** One call to the Operations API, from the log: `name` is the operation's, or the parent's for a list. */
export interface LoggedCall {
  route: 'cancel' | 'get' | 'list' | 'wait';
  name: string;
  at: number;
}

const OPERATION_ROUTES = new Set(['cancel', 'get', 'list', 'wait']);

async function main(): Promise<void> {
  const emulator = await GoogleEmulator.start();
  const send = (message: unknown): void => {
    process.send?.(message);
  };
  const answer = async (command: EmulatorCommand): Promise<unknown> => {
    switch (command.cmd) {
      case 'add':
        for (const operation of command.operations) emulator.addOperation(operation);
        return command.operations.length;
      case 'counters':
        return {
          tokensIssued: emulator.tokensIssued().length,
          connections: {
            all: emulator.connections(),
            api: emulator.connections('api'),
            metadata: emulator.connections('metadata'),
          },
          logged: emulator.count({}),
          rssBytes: process.memoryUsage().rss,
        } satisfies EmulatorCounters;
      case 'calls':
        return emulator.requests
          .filter((r) => OPERATION_ROUTES.has(r.route) && r.name?.startsWith(command.prefix))
          .map((r): LoggedCall => ({ route: r.route as LoggedCall['route'], name: r.name ?? '', at: r.at }));
      case 'polled':
        return new Set(
          emulator.requests.filter((r) => r.route === 'get' && r.name?.startsWith(command.prefix)).map((r) => r.name),
        ).size;
      case 'clearLog':
        emulator.clearLog();
        return true;
      case 'close':
        await emulator.close();
        setImmediate(() => process.exit(0));
        return true;
    }
  };
  process.on('message', (command: EmulatorCommand) => {
    answer(command).then(
      (result) => send({ id: command.id, result }),
      (err: unknown) => send({ id: command.id, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  // The parent is gone: nothing else will stop this process.
  process.on('disconnect', () => {
    void emulator.close().finally(() => process.exit(0));
  });
  send({ ready: emulator.hostPort });
}

main().catch((err: unknown) => {
  process.stderr.write(`emulator process failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
