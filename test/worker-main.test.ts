import { freePort } from '../src/testing/free-port';
/**
 * The worker process as operators run it (`node dist/src/temporal/worker-main.js`, what `npm start` runs): start-up
 * problems end it with one line and an exit code; a running worker serves Prometheus metrics, ours included,
 * and stops cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startCancel } from '../src/temporal/client';
import { EXIT_CODES } from '../src/domain/exit-codes';
import { GOOGLE_API_ERRORS_METRIC, OUTCOMES_METRIC, POLLS_METRIC } from '../src/domain/metrics';
import { GoogleEmulator } from '../src/testing/emulator';
import { startDevServer } from '../src/testing/temporal-servers';
import { buildDist, ROOT } from './support/build';
import { unique } from './support/harness';
import { startTcpProxy } from './support/tcp-proxy';

const WORKER = join(ROOT, 'dist', 'src', 'temporal', 'worker-main.js');

let server: TestWorkflowEnvironment;
let emulator: GoogleEmulator;

beforeAll(async () => {
  [, server, emulator] = await Promise.all([buildDist(), startDevServer(), GoogleEmulator.start()]);
});
afterAll(async () => {
  await emulator?.close();
  await server?.teardown();
});
/** Workers a test started: a failed assertion must not leave one running (jest would never exit). */
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The environment of a worker that should start: the dev server, Google through the emulator. */
function workingEnv() {
  return {
    TEMPORAL_ADDRESS: server.connection.options.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: unique('tq'),
    GCE_METADATA_HOST: emulator.hostPort,
    LRO_EMULATOR_HOST: emulator.hostPort,
  };
}

/** Starts the worker binary; `env` replaces the Temporal, Google and LRO variables of this process. */
function startWorker(env: Record<string, string>) {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(TEMPORAL_|LRO_|GCE_METADATA_HOST$|GOOGLE_APPLICATION_CREDENTIALS$)/.test(key),
    ),
  );
  const startedAt = Date.now();
  const child = spawn(process.execPath, [WORKER], { cwd: ROOT, env: { ...inherited, ...env } });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<Exit>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - startedAt })),
  );
  return { child, exit, output: () => stdout };
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

describe('start-up problems: one line on stderr, a non-zero exit, no stack trace', () => {
  test('Temporal unreachable: exit 3 within seconds, naming the address', async () => {
    const { exit } = startWorker({ ...workingEnv(), TEMPORAL_ADDRESS: '127.0.0.1:1' });
    const result = await exit;
    expect(result.code).toBe(EXIT_CODES.UNREACHABLE);
    expect(result.ms).toBeLessThan(15_000);
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(/^temporal-gcp-lro worker: cannot connect to Temporal at 127\.0\.0\.1:1 \(.+\)$/),
    ]);
  });

  test('bad LRO_ALLOWED_HOSTS: exit 2, naming the variable, before contacting anything', async () => {
    const { exit } = startWorker({
      ...workingEnv(),
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      LRO_ALLOWED_HOSTS: 'ok.example.com,bad host',
    });
    const result = await exit;
    expect(result.code).toBe(EXIT_CODES.USAGE);
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(/^temporal-gcp-lro worker: LRO_ALLOWED_HOSTS: .*\(got "bad host"\)$/),
    ]);
  });

  test.each([
    ['LRO_EMULATOR_HOST', 'localhost'],
    ['LRO_EMULATOR_HOST', 'emulator.internal:8085'],
    ['LRO_EMULATOR_HOST', 'http://127.0.0.1:8085'],
    ['LRO_METRICS_BIND', 'everywhere'],
    ['LRO_ALLOWED_SERVICES', 'alloydb.googleapis.com,not a service'],
    ['LRO_ALLOWED_RESOURCES', 'projects/prod-*,projects/p*d'],
    ['LRO_ALLOWED_RESOURCES', 'projects/.*'],
    ['LRO_ALLOWED_RESOURCES', 'projects//x'],
    ['LRO_IMPERSONATION_ALLOWED', 'canceller@team.iam.gserviceaccount.com,*'],
    ['LRO_IMPERSONATION_ALLOWED', 'not-an-email'],
    ['LRO_LOG_FORMAT', 'xml'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
  ])('bad %s (%s): exit 2, naming the variable', async (name, value) => {
    const result = await startWorker({ ...workingEnv(), [name]: value }).exit;
    expect(result.code).toBe(EXIT_CODES.USAGE);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(new RegExp(`^temporal-gcp-lro worker: ${name}: `))]);
  });

  test('search attributes that cannot be registered (no such namespace): exit 1', async () => {
    const result = await startWorker({ ...workingEnv(), TEMPORAL_NAMESPACE: 'no-such-namespace' }).exit;
    expect(result.code).toBe(EXIT_CODES.ERROR);
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(
        /^temporal-gcp-lro worker: cannot list search attributes of namespace no-such-namespace \(.*LRO_SKIP_SEARCH_ATTRIBUTE_REGISTRATION=1/,
      ),
    ]);
  });

  test('LRO_METRICS_BIND already in use: exit 1 before contacting anything', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const bind = `127.0.0.1:${(taken.address() as AddressInfo).port}`;
    try {
      const result = await startWorker({ ...workingEnv(), TEMPORAL_ADDRESS: '127.0.0.1:1', LRO_METRICS_BIND: bind })
        .exit;
      expect(result.code).toBe(EXIT_CODES.ERROR);
      expect(lines(result.stderr)).toEqual([
        `temporal-gcp-lro worker: cannot serve metrics on ${bind} (listen EADDRINUSE: address already in use ${bind})`,
      ]);
    } finally {
      taken.close();
    }
  });

  test('no Google credentials: exit 1', async () => {
    const result = await startWorker({ ...workingEnv(), GCE_METADATA_HOST: '127.0.0.1:1' }).exit;
    expect(result.code).toBe(EXIT_CODES.ERROR);
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(/^temporal-gcp-lro worker: cannot obtain Google credentials \(/),
    ]);
  });
});

describe('a running worker', () => {
  test('serves our metrics after a cancel, and exits 0 on SIGTERM', async () => {
    const bind = `127.0.0.1:${await freePort()}`;
    const env = { ...workingEnv(), LRO_METRICS_BIND: bind };
    const worker = startWorker(env);
    await until(() => worker.output().includes('polling task queue'), worker.exit);
    expect(worker.output()).toContain(`metrics at http://${bind}/metrics`);
    // Built as `npm run build` builds: the workflows come from the bundle the build wrote, with no webpack at start.
    expect(worker.output()).toContain(
      `workflows from the bundle built with the package (${join(ROOT, 'dist', 'workflow-bundle.js')})`,
    );

    const name = `projects/p/locations/us-central1/operations/${unique()}`;
    emulator.addOperation({ name, apiVersion: 'v1beta', service: 'alloydb.googleapis.com' });
    emulator.failNext({ route: 'get', name }, { code: 'UNAVAILABLE' });
    const handle = await startCancel(
      server.client,
      { operation: `https://alloydb.googleapis.com/v1beta/${name}`, poll: { initialInterval: '100ms' } },
      { taskQueue: env.TEMPORAL_TASK_QUEUE },
    );
    expect((await handle.result()).outcome).toBe('CANCELLED');

    let metrics = '';
    /** The value of the sample of `metric` whose labels include every one of `tags`. */
    const sample = (metric: string, ...tags: string[]) =>
      metrics
        .split('\n')
        .find((line) => line.startsWith(`${metric}{`) && tags.every((tag) => line.includes(tag)))
        ?.split(' ')
        .at(-1);
    const cancelled = ['outcome="CANCELLED"', 'workflowType="cancelOperation"'];
    await until(async () => {
      metrics = await (await fetch(`http://${bind}/metrics`)).text();
      return sample(OUTCOMES_METRIC, ...cancelled) === '1';
    }, worker.exit);
    // Every other outcome's series is there too, at 0 since the worker started.
    expect(sample(OUTCOMES_METRIC, 'outcome="ERROR"', 'workflowType="cancelOperation"')).toBe('0');
    expect(sample(OUTCOMES_METRIC, 'outcome="CANCELLED"', 'workflowType="cancelOperationsBatch"')).toBe('0');
    expect(sample(`${POLLS_METRIC}_count`, 'outcome="CANCELLED"')).toBe('1');
    expect(sample(`${POLLS_METRIC}_sum`, 'outcome="CANCELLED"')).toBe('2');
    expect(sample(GOOGLE_API_ERRORS_METRIC, 'code="UNAVAILABLE"')).toBe('1');
    expect(metrics).toMatch(/^temporal_workflow_completed\{/m);

    worker.child.kill('SIGTERM');
    const result = await worker.exit;
    expect(result).toMatchObject({ code: 0, signal: null });
    // One line per event: time, level, message, then the event's fields.
    const events = lines(result.stderr);
    expect(events).toContainEqual(
      expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO {2}Worker state changed .*state=STOPPED/),
    );
    const answered = events.find((line) => line.includes(' cancel answered '));
    expect(answered).toContain(`operation=https://alloydb.googleapis.com/v1beta/${name}`);
    expect(answered).toContain(`workflowId=${handle.workflowId}`);
    expect(answered).not.toContain('taskToken');
    expect(events.find((line) => line.includes(' outcome recorded '))).toContain('outcome=CANCELLED');
  });

  test('/readyz: 503 "unreachable" once Temporal stops answering (the pollers still say POLLING), 200 when it is back', async () => {
    const proxy = await startTcpProxy(server.connection.options.address);
    try {
      const bind = `127.0.0.1:${await freePort()}`;
      const worker = startWorker({ ...workingEnv(), TEMPORAL_ADDRESS: proxy.hostPort, LRO_METRICS_BIND: bind });
      await until(() => worker.output().includes('polling task queue'), worker.exit);
      const readyz = async (): Promise<{ code: number; body: Record<string, unknown> }> => {
        const res = await fetch(`http://${bind}/readyz`);
        return { code: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      expect((await readyz()).code).toBe(200);

      proxy.cut();
      const cutAt = Date.now();
      let down = await readyz();
      await until(async () => (down = await readyz()).code !== 200, worker.exit, 25_000);
      expect(Date.now() - cutAt).toBeLessThan(21_000);
      expect(down).toEqual({
        code: 503,
        body: expect.objectContaining({
          status: 'unreachable',
          reason: expect.stringMatching(/^Temporal has not answered the worker for \d+ s/) as string,
          runState: 'RUNNING',
          workflowPollerState: 'POLLING',
          activityPollerState: 'POLLING',
        }) as unknown,
      });
      // Alive all the same: restarting the worker would not bring Temporal back.
      expect((await fetch(`http://${bind}/healthz`)).status).toBe(200);

      proxy.restore();
      let up = down;
      await until(async () => (up = await readyz()).code === 200, worker.exit, 30_000);
      expect(up.body).toMatchObject({ status: 'ready' });
      worker.child.kill('SIGTERM');
      expect((await worker.exit).code).toBe(0);
    } finally {
      await proxy.close();
    }
  }, 90_000);

  test('LRO_LOG_FORMAT=json: one JSON object a line, with the operation, the workflow ID and the outcome', async () => {
    const env = { ...workingEnv(), LRO_LOG_FORMAT: 'json' };
    const worker = startWorker(env);
    await until(() => worker.output().includes('polling task queue'), worker.exit);
    const name = `projects/p/locations/us-central1/operations/${unique()}`;
    emulator.addOperation({ name, apiVersion: 'v1beta', service: 'alloydb.googleapis.com' });
    const operation = `https://alloydb.googleapis.com/v1beta/${name}`;
    const handle = await startCancel(server.client, { operation }, { taskQueue: env.TEMPORAL_TASK_QUEUE });
    expect((await handle.result()).outcome).toBe('CANCELLED');
    worker.child.kill('SIGTERM');
    const result = await worker.exit;
    expect(result.code).toBe(0);
    const events = lines(result.stderr).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.every((e) => typeof e['time'] === 'string' && typeof e['level'] === 'string')).toBe(true);
    expect(events).toContainEqual(
      expect.objectContaining({ level: 'INFO', message: 'cancel answered', operation, workflowId: handle.workflowId }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        message: 'outcome recorded',
        operation,
        outcome: 'CANCELLED',
        workflowId: handle.workflowId,
      }),
    );
    expect(events.some((e) => 'taskToken' in e)).toBe(false);
  });
});

/** Waits for `done`, failing early if the process exits first. */
async function until(done: () => boolean | Promise<boolean>, exit: Promise<Exit>, timeoutMs = 30_000): Promise<void> {
  let exited: Exit | undefined;
  void exit.then((e) => (exited = e));
  const end = Date.now() + timeoutMs;
  while (!(await done())) {
    if (exited) throw new Error(`the worker exited (${exited.code}): ${exited.stderr}`);
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
