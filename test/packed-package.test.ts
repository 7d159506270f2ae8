/**
 * The package as users get it: `npm pack`, installed into a scratch project outside the repository, type-checked
 * against its shipped declarations, and run in the user's own worker (the README's `examples/plugin-worker.ts`,
 * with the plugin) with the user's own parent workflow (`examples/parent-workflow.ts`, re-exported beside the
 * package's workflows by `examples/workflows.ts`), which gets CANCELLED from the emulator. A file missing from
 * `files`, a broken `exports` entry, a types path that does not resolve, or workflow code that does not bundle from
 * node_modules fails it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { GoogleEmulator } from '../src/testing/emulator';
import { startDevServer } from '../src/testing/temporal-servers';
import { buildDist, ROOT } from './support/build';
import { unique } from './support/harness';

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

let scratch: string;
let tarball: string;
let env: TestWorkflowEnvironment;
let emulator: GoogleEmulator;
let worker: ChildProcess | undefined;

function run(command: string, args: string[], cwd: string, timeoutMs = 300_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error
        ? reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`))
        : resolve(stdout),
    );
  });
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'lro-user-'));
  [, env, emulator] = await Promise.all([buildDist(), startDevServer(), GoogleEmulator.start()]);
  const packed = (await run('npm', ['pack', '--silent', '--pack-destination', scratch], ROOT))
    .trim()
    .split('\n')
    .at(-1);
  tarball = join(scratch, packed ?? '');
  writeFileSync(
    join(scratch, 'package.json'),
    JSON.stringify({
      name: 'lro-user',
      private: true,
      dependencies: {
        'temporal-gcp-lro': `file:${tarball}`,
        '@temporalio/client': manifest.dependencies['@temporalio/client'],
        '@temporalio/worker': manifest.dependencies['@temporalio/worker'],
        '@temporalio/workflow': manifest.dependencies['@temporalio/workflow'],
        typescript: manifest.devDependencies['typescript'],
        '@types/node': manifest.devDependencies['@types/node'],
      },
    }),
  );
  writeFileSync(
    join(scratch, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'node16',
        moduleResolution: 'node16',
        strict: true,
        esModuleInterop: true,
        skipLibCheck: true,
        rootDir: 'src',
        outDir: 'dist',
        types: ['node'],
      },
      include: ['src'],
    }),
  );
  mkdirSync(join(scratch, 'src'));
  for (const file of ['workflows.ts', 'parent-workflow.ts', 'plugin-worker.ts']) {
    copyFileSync(join(ROOT, 'examples', file), join(scratch, 'src', file));
  }
  // The user's client: runs the parent and prints its outcome.
  writeFileSync(
    join(scratch, 'src', 'run-teardown.ts'),
    [
      `import { Client, Connection } from '@temporalio/client';`,
      `async function main(): Promise<void> {`,
      `  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });`,
      `  const client = new Client({ connection });`,
      `  const outcome = await client.workflow.execute('teardown', {`,
      `    args: [process.argv[2]],`,
      `    taskQueue: 'my-app',`,
      `    workflowId: process.argv[3] ?? 'teardown',`,
      `  });`,
      `  console.log(outcome);`,
      `  await connection.close();`,
      `}`,
      `void main();`,
      '',
    ].join('\n'),
  );
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], scratch, 600_000);
}, 900_000);

afterAll(async () => {
  worker?.kill('SIGKILL');
  await emulator?.close();
  await env?.teardown();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('ships what users need, and nothing of the repository besides', async () => {
  const files = (await run('tar', ['tzf', tarball], scratch)).split('\n').filter((line) => line !== '');
  for (const file of [
    'package/dist/src/index.js',
    'package/dist/src/index.d.ts',
    'package/dist/workflows/index.js',
    'package/dist/workflows/index.d.ts',
    'package/dist/activities/index.js',
    // Bundled at build time: a worker starts without running webpack.
    'package/dist/workflow-bundle.js',
    'package/dist/workflow-bundle-otel.js',
    'package/dist/src/testing/index.js',
    'package/bin/temporal-gcp-lro.js',
    'package/README.md',
  ]) {
    expect(files).toContain(file);
  }
  expect(
    files.filter((file) => /^package\/(test|bench|scripts|examples|dist\/bench|dist\/scripts)\//.test(file)),
  ).toEqual([]);
});

test("the user's TypeScript type-checks against the shipped declarations", async () => {
  await run(join(scratch, 'node_modules', '.bin', 'tsc'), ['-p', '.'], scratch);
}, 120_000);

test("the user's own worker with the plugin runs the user's parent, which gets CANCELLED", async () => {
  const name = `projects/p/locations/us-central1/operations/${unique('packed')}`;
  emulator.addOperation({ name, apiVersion: 'v1', afterCancel: { to: { kind: 'cancelled' } } });
  const address = env.connection.options.address;
  const workerEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: address,
    GCE_METADATA_HOST: emulator.hostPort,
    LRO_EMULATOR_HOST: emulator.hostPort,
    GOOGLE_APPLICATION_CREDENTIALS: '',
  };
  const output: string[] = [];
  worker = spawn(process.execPath, [join(scratch, 'dist', 'plugin-worker.js')], { cwd: scratch, env: workerEnv });
  worker.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  worker.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const outcome = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [join(scratch, 'dist', 'run-teardown.js'), `https://alloydb.googleapis.com/v1/${name}`, unique('teardown')],
      { cwd: scratch, env: workerEnv, timeout: 120_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}\nworker: ${output.join('')}`)) : resolve(stdout.trim()),
    );
  });
  expect(outcome).toBe('CANCELLED');
  expect(emulator.count({ route: 'cancel', name })).toBe(1);
}, 180_000);
