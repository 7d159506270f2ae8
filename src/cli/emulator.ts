/** `emulator`: the local Google emulator (Operations API and metadata server) until Ctrl-C. */
import { EXIT_CODES, ExitError, firstLine } from '../domain/exit-codes';
import { parseCount, type Command } from './command';

export const emulatorCommand: Command = {
  usage: 'emulator [options]',
  summary: 'run the local Google emulator (Operations API and metadata server) until Ctrl-C',
  help: `  --port <port>           TCP port (default 8085; 0 picks a free one)
  --host <ip>             address to listen on (default 127.0.0.1; 0.0.0.0 in a container)
  --demo-operations       serve the demo's operations (one per outcome)`,
  options: { port: { type: 'string' }, host: { type: 'string' }, 'demo-operations': { type: 'boolean' } },
  positionals: 0,
  async run(values, _positionals, io) {
    const port = parseCount('--port', values['port'], 8085, 0, 65535);
    const host = typeof values['host'] === 'string' ? values['host'] : '127.0.0.1';
    const [{ GoogleEmulator }, { addDemoOperations, DEMO_OPERATIONS, DEMO_SPARE_OPERATIONS }] = await Promise.all([
      import('../testing/emulator'),
      import('../testing/demo-operations'),
    ]);
    const emulator = await GoogleEmulator.start({ port, host }).catch((err: unknown) => {
      throw new ExitError(`cannot listen on ${host}:${port} (${firstLine(err)})`, EXIT_CODES.ERROR);
    });
    const out = (line: string): boolean => io.stdout.write(`${line}\n`);
    out(`Google emulator at ${emulator.url}`);
    out(`export GCE_METADATA_HOST=${emulator.hostPort}`);
    out(`export LRO_EMULATOR_HOST=${emulator.hostPort}`);
    if (values['demo-operations'] === true) {
      addDemoOperations(emulator);
      out(`demo operations (${DEMO_OPERATIONS.length + DEMO_SPARE_OPERATIONS.length}):`);
      for (const op of DEMO_OPERATIONS) out(`  ${op.url}  (${op.label})`);
      for (const op of DEMO_SPARE_OPERATIONS) out(`  ${op.url}  (running, cancellable)`);
    }
    await untilSignal();
    await emulator.close();
    return EXIT_CODES.OK;
  },
};

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
