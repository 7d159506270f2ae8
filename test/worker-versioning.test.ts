/**
 * Worker Deployment Versioning: the worker process (`runWorker`, as `npm start` and `temporal-gcp-lro worker` run it)
 * with `LRO_DEPLOYMENT_NAME` and `LRO_BUILD_ID` polls as that build of that deployment; cancellers run on it
 * AUTO_UPGRADE, so a canceller that is waiting moves to each new build made current, and old builds can be stopped
 * without stranding it. Versions are made current with the Temporal CLI, as the README tells operators to.
 */
import { execFile } from 'node:child_process';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { decodeVersioningBehavior } from '@temporalio/common';
import { EXIT_CODES } from '../src/domain/exit-codes';
import { GoogleEmulator } from '../src/testing/emulator';
import { findTemporalBinary, TEMPORAL_CLI } from '../src/testing/temporal-binaries';
import { startDevServer } from '../src/testing/temporal-servers';
import { startCancel } from '../src/temporal/client';
import { runWorker, workerMain } from '../src/temporal/worker-main';
import { BUILD_ID_ENV, DEPLOYMENT_NAME_ENV } from '../src/temporal/worker-deployment';
import {
  eventually,
  quietRuntime,
  unique,
  untilPolling,
  useEmulatorCredentials,
  workflowBundle,
} from './support/harness';

let server: TestWorkflowEnvironment;
let emulator: GoogleEmulator;

beforeAll(async () => {
  // Installed first, so the workers' own runtime (one log line per event) stays out of the test output.
  quietRuntime();
  [server, emulator] = await Promise.all([startDevServer(), GoogleEmulator.start(), workflowBundle()]);
  useEmulatorCredentials(emulator);
});
afterAll(async () => {
  await emulator?.close();
  await server?.teardown();
});

interface RunningWorker {
  lines: string[];
  stop(): Promise<void>;
}
/** Workers a test started: a failed assertion must not leave one polling (jest would never exit). */
const running: RunningWorker[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((worker) => worker.stop()));
});

/** The environment of a worker on `taskQueue` that reaches the dev server, and Google through the emulator. */
function workerEnv(taskQueue: string, version?: { deploymentName: string; buildId: string }): NodeJS.ProcessEnv {
  return {
    TEMPORAL_ADDRESS: server.connection.options.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    LRO_EMULATOR_HOST: emulator.hostPort,
    ...(version ? { [DEPLOYMENT_NAME_ENV]: version.deploymentName, [BUILD_ID_ENV]: version.buildId } : {}),
  };
}

/** Runs `runWorker` with `env` until the worker polls; `stop()` shuts it down as SIGTERM would. */
async function startWorker(env: NodeJS.ProcessEnv): Promise<RunningWorker> {
  const stopping = new AbortController();
  const lines: string[] = [];
  const done = runWorker({
    env,
    signal: stopping.signal,
    log: (line) => lines.push(line),
    // The workflows bundled once for the file, rather than once per worker.
    worker: { workflowBundle: await workflowBundle() },
  });
  const worker = {
    lines,
    async stop() {
      stopping.abort();
      // A worker that failed to start has said so already, below.
      await done.catch(() => undefined);
    },
  };
  running.push(worker);
  await untilPolling(lines, done);
  return worker;
}

/**
 * `temporal worker deployment set-current-version`, as in the README, until the server knows the version: it refuses
 * one whose workers have not polled yet.
 */
async function setCurrentVersion(deploymentName: string, buildId: string): Promise<void> {
  const cli = findTemporalBinary(TEMPORAL_CLI);
  if (!cli) throw new Error('the Temporal CLI is not installed (npm run temporal:install)');
  const args = ['worker', 'deployment', 'set-current-version', '--deployment-name', deploymentName];
  args.push('--build-id', buildId, '--yes', '--address', server.connection.options.address);
  const attempt = () =>
    new Promise<string | undefined>((resolve) =>
      execFile(cli, args, (error, _stdout, stderr) => resolve(error ? stderr || error.message : undefined)),
    );
  const failure = await eventually(attempt, (err) => err === undefined, 30_000);
  if (failure !== undefined) throw new Error(`set-current-version ${deploymentName} ${buildId}: ${failure}`);
}

/** The deployment version and behaviour a workflow's last workflow task ran under (`undefined`: unversioned). */
async function versioningOf(handle: WorkflowHandle) {
  const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
  return info
    ? {
        deploymentName: info.deploymentVersion?.deploymentName,
        buildId: info.deploymentVersion?.buildId,
        behavior: decodeVersioningBehavior(info.behavior),
      }
    : undefined;
}

/** An operation whose cancel is accepted but never confirmed until the test says so. */
function operationThatWaits(): { name: string; operation: string } {
  const name = `projects/p/locations/us-central1/operations/${unique()}`;
  emulator.addOperation({
    name,
    apiVersion: 'v1beta',
    service: 'alloydb.googleapis.com',
    afterCancel: { to: { kind: 'cancelled' }, afterPolls: 1_000_000 },
  });
  return { name, operation: `https://alloydb.googleapis.com/v1beta/${name}` };
}

describe('a versioned worker (LRO_DEPLOYMENT_NAME and LRO_BUILD_ID)', () => {
  test('polls as that build, and runs a canceller to its outcome under that version, AUTO_UPGRADE', async () => {
    const taskQueue = unique('tq');
    const version = { deploymentName: unique('lro'), buildId: 'build-1' };
    const worker = await startWorker(workerEnv(taskQueue, version));
    expect(worker.lines.join('\n')).toContain(
      `; build "build-1" of Worker Deployment "${version.deploymentName}" (AUTO_UPGRADE)`,
    );
    await setCurrentVersion(version.deploymentName, version.buildId);

    const name = `projects/p/locations/us-central1/operations/${unique()}`;
    emulator.addOperation({ name, apiVersion: 'v1beta', service: 'alloydb.googleapis.com' });
    const handle = await startCancel(
      server.client,
      { operation: `https://alloydb.googleapis.com/v1beta/${name}`, poll: { initialInterval: '100ms' } },
      { taskQueue },
    );
    expect((await handle.result()).outcome).toBe('CANCELLED');
    expect(await versioningOf(handle)).toEqual({ ...version, behavior: 'AUTO_UPGRADE' });
  });

  test('a waiting canceller moves from an unversioned worker to build 1, then to build 2, and finishes there', async () => {
    const taskQueue = unique('tq');
    const deploymentName = unique('lro');
    const unversioned = await startWorker(workerEnv(taskQueue));
    expect(unversioned.lines.join('\n')).not.toContain('Worker Deployment');

    const { name, operation } = operationThatWaits();
    const handle: WorkflowHandle = await startCancel(
      server.client,
      { operation, poll: { initialInterval: '300ms', maximumInterval: '300ms' } },
      { taskQueue },
    );
    // Cancel sent and polling, on the unversioned worker.
    const gets = await eventually(
      async () => emulator.count({ route: 'get', name }),
      (n) => n > 0,
    );
    expect(gets).toBeGreaterThan(0);
    expect(await versioningOf(handle)).toBeUndefined();

    // Turning versioning on: build 1 becomes current, and the unversioned worker can go at once.
    const build1 = await startWorker(workerEnv(taskQueue, { deploymentName, buildId: 'build-1' }));
    await setCurrentVersion(deploymentName, 'build-1');
    await unversioned.stop();
    const onBuild1 = await eventually(
      () => versioningOf(handle),
      (v) => v?.buildId === 'build-1',
    );
    expect(onBuild1?.buildId).toBe('build-1');

    // An upgrade: build 2 becomes current, and build 1 is stopped while the canceller still waits.
    await startWorker(workerEnv(taskQueue, { deploymentName, buildId: 'build-2' }));
    await setCurrentVersion(deploymentName, 'build-2');
    await build1.stop();
    const onBuild2 = await eventually(
      () => versioningOf(handle),
      (v) => v?.buildId === 'build-2',
    );
    // Where the canceller went on its own first: a PINNED canceller fails here, left on the stopped build 1.
    expect(onBuild2?.buildId).toBe('build-2');
    expect(onBuild1).toEqual({ deploymentName, buildId: 'build-1', behavior: 'AUTO_UPGRADE' });
    expect(onBuild2).toEqual({ deploymentName, buildId: 'build-2', behavior: 'AUTO_UPGRADE' });

    emulator.setState(name, { kind: 'cancelled' });
    expect((await handle.result()).outcome).toBe('CANCELLED');
    expect(await versioningOf(handle)).toEqual({ deploymentName, buildId: 'build-2', behavior: 'AUTO_UPGRADE' });
  });
});

describe('a bad combination: one line naming the variable, exit 2, before contacting Temporal', () => {
  test.each([
    ['a deployment name alone', { [DEPLOYMENT_NAME_ENV]: 'gcp-lro' }, BUILD_ID_ENV],
    ['a build ID alone', { [BUILD_ID_ENV]: 'build-1' }, DEPLOYMENT_NAME_ENV],
    ["a '.' in the deployment name", { [DEPLOYMENT_NAME_ENV]: 'gcp.lro', [BUILD_ID_ENV]: 'b' }, DEPLOYMENT_NAME_ENV],
    [
      'a build ID the server would never register',
      { [DEPLOYMENT_NAME_ENV]: 'd', [BUILD_ID_ENV]: 'b'.repeat(109) },
      BUILD_ID_ENV,
    ],
  ])('%s', async (_label, variables, named) => {
    const written: string[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    let code: number;
    try {
      // Nothing listens there: had the worker tried to connect, it would exit 3.
      code = await workerMain({ env: { ...workerEnv(unique('tq')), TEMPORAL_ADDRESS: '127.0.0.1:1', ...variables } });
    } finally {
      stderr.mockRestore();
    }
    expect(code).toBe(EXIT_CODES.USAGE);
    expect(written).toEqual([expect.stringMatching(new RegExp(`^temporal-gcp-lro worker: ${named}: [^\\n]+\\n$`))]);
  });
});
