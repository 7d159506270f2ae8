/**
 * One worker start in a fresh process, for section 7: connects, creates the package's worker (`bundle` or
 * `prebuilt` workflows), starts it and stops it at once, and prints `{ ms, cpuMs, rssMiB }` as JSON.
 *
 *   node dist/bench/startup-child.js <bundle|prebuilt> <address> <metadata-host:port>
 */
import { readFileSync } from 'node:fs';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { parseAllowedHosts } from '../src/domain/host-allowlist';
import { googleAuthorizer } from '../src/google/google-auth';
import { createDispatcher } from '../src/google/http-dispatcher';
import { prebuiltWorkflowBundle, WORKFLOWS_PATH } from '../src/temporal/workflow-bundle';

async function main(mode: string, address: string, emulator: string): Promise<void> {
  const t0 = Date.now();
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  const connection = await NativeConnection.connect({ address });
  const prebuilt = prebuiltWorkflowBundle();
  if (mode === 'prebuilt' && !prebuilt) throw new Error('no prebuilt bundle: run from a build');
  const dispatcher = createDispatcher();
  const worker = await Worker.create({
    connection,
    taskQueue: `startup-${process.pid}`,
    activities: createActivities({
      authorizer: googleAuthorizer(),
      dispatcher,
      allowlist: parseAllowedHosts(''),
      emulatorHost: emulator,
    }),
    ...(mode === 'prebuilt' && prebuilt ? { workflowBundle: prebuilt } : { workflowsPath: WORKFLOWS_PATH }),
  });
  await worker.runUntil(Promise.resolve());
  const cpu = process.cpuUsage();
  process.stdout.write(
    `${JSON.stringify({
      ms: Date.now() - t0,
      cpuMs: (cpu.user + cpu.system) / 1000,
      // This process's own peak (VmHWM): getrusage's maxRSS keeps the parent's peak across the exec that started it.
      rssMiB: peakRssKiB() / 1024,
    })}\n`,
  );
  await dispatcher.close();
  await connection.close();
}

function peakRssKiB(): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) : NaN;
}

main(process.argv[2] ?? '', process.argv[3] ?? '', process.argv[4] ?? '').then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
