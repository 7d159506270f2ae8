/**
 * Parents in any language, and starts from the Temporal CLI: the canceller's input and result are plain JSON on a
 * named task queue (`gcp-lro`). The README's Python, Go and Java parents (`examples/parent_workflow.py`,
 * `examples/parent_workflow.go`, `examples/Teardown.java`) each run on a worker of their own with their SDK from
 * its registry (installed here into the git-ignored `.temporal/`), start `cancelOperation` as a child and read its
 * outcome; the README's `temporal workflow start` command (`examples/start-with-temporal-cli.sh`) starts it by type.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LRO_OUTCOME } from '../src/domain/search-attributes';
import { cancelWorkflowId } from '../src/domain/workflow-id';
import { ROOT } from './support/build';
import { runShellSnippet, startStack, unique, type Stack } from './support/harness';

const PYTHON_SDK = 'temporalio==1.35.0';
const WORK = join(ROOT, '.temporal');
const SUPPORT = join(__dirname, 'support');

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ taskQueue: 'gcp-lro' });
});
afterAll(async () => {
  await stack?.stop();
});

function operation(name: string): string {
  stack.emulator.addOperation({ name, apiVersion: 'v1', afterCancel: { to: { kind: 'cancelled' } } });
  return `https://alloydb.googleapis.com/v1/${name}`;
}

/** Runs a build step, its output shown only when it fails. */
function build(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

/**
 * Runs a parent in another language against the dev server, with an operation of its own, and checks what the
 * README promises: the child's outcome reaches the parent, the canceller is that parent's child, one cancel is sent.
 */
async function expectParentCancels(
  language: string,
  [command, ...args]: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  // Past 255 characters: each language bounds the canceller's ID as the package does.
  const name = `projects/p/locations/us-central1/operations/${unique(language)}-${'x'.repeat(300)}`;
  const url = operation(name);
  const parentId = unique(`${language}-parent`);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      command ?? '',
      [...args, stack.env.connection.options.address, url, parentId],
      { env, timeout: 90_000 },
      (error, out, err) => (error ? reject(new Error(`${error.message}\n${out}\n${err}`)) : resolve(out)),
    );
  });
  expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({ outcome: 'CANCELLED' });
  const canceller = await stack.env.client.workflow.getHandle(cancelWorkflowId(url)).describe();
  expect(canceller.raw.workflowExecutionInfo?.parentExecution?.workflowId).toBe(parentId);
  expect(stack.emulator.count({ route: 'cancel', name })).toBe(1);
}

test("the README's temporal workflow start command starts cancelOperation by type name, and it is confirmed", async () => {
  const url = operation('projects/p/locations/us-central1/operations/op-cli');
  const started = await runShellSnippet('examples/start-with-temporal-cli.sh', stack.env.connection.options.address);
  expect(started).toMatchObject({ code: 0 });
  const handle = stack.env.client.workflow.getHandle(cancelWorkflowId(url));
  expect(await handle.result()).toMatchObject({ outcome: 'CANCELLED', operation: url });
  expect((await handle.describe()).typedSearchAttributes.get(LRO_OUTCOME)).toBe('CANCELLED');
});

test('a Python parent runs cancelOperation as a child on the gcp-lro task queue and reads its outcome', async () => {
  const sdk = join(WORK, 'python');
  if (!existsSync(join(sdk, 'temporalio'))) {
    build(
      'python3',
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', sdk, PYTHON_SDK],
      ROOT,
    );
  }
  await expectParentCancels('py', ['python3', join(SUPPORT, 'python_parent_runner.py')], {
    ...process.env,
    PYTHONPATH: sdk,
  });
}, 180_000);

test('cancelling the Python parent leaves its canceller running for whoever else waits for it', async () => {
  const sdk = join(WORK, 'python');
  const name = `projects/p/locations/us-central1/operations/${unique('py-cancelled')}`;
  stack.emulator.addOperation({ name, apiVersion: 'v1', afterCancel: { to: { kind: 'cancelled' }, afterMs: 600_000 } });
  const url = `https://alloydb.googleapis.com/v1/${name}`;
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      'python3',
      [
        join(SUPPORT, 'python_parent_runner.py'),
        stack.env.connection.options.address,
        url,
        unique('py-parent'),
        'cancel',
      ],
      { env: { ...process.env, PYTHONPATH: sdk }, timeout: 90_000 },
      (error, out, err) => (error ? reject(new Error(`${error.message}\n${out}\n${err}`)) : resolve(out)),
    );
  });
  expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({ parent: 'cancelled' });
  const canceller = stack.env.client.workflow.getHandle(cancelWorkflowId(url));
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const description = await canceller.describe();
  expect(description.status.name).toBe('RUNNING');
  expect(description.typedSearchAttributes.get(LRO_OUTCOME)).toBe('PENDING');
  await canceller.terminate();
}, 180_000);

test('a Go parent runs cancelOperation as a child on the gcp-lro task queue and reads its outcome', async () => {
  // The runner's module (its go.sum pins the SDK), with the README's workflow as its teardown package.
  const dir = join(WORK, 'go-parent');
  mkdirSync(join(dir, 'teardown'), { recursive: true });
  for (const file of ['go.mod', 'go.sum', 'main.go']) copyFileSync(join(SUPPORT, 'go-parent', file), join(dir, file));
  copyFileSync(join(ROOT, 'examples', 'parent_workflow.go'), join(dir, 'teardown', 'parent_workflow.go'));
  build('go', ['build', '-mod=readonly', '-o', 'goparent', '.'], dir);
  await expectParentCancels('go', [join(dir, 'goparent')]);
}, 300_000);

test('a Java parent runs cancelOperation as a child on the gcp-lro task queue and reads its outcome', async () => {
  const dir = join(WORK, 'java-parent');
  mkdirSync(join(dir, 'classes'), { recursive: true });
  copyFileSync(join(SUPPORT, 'java-parent', 'pom.xml'), join(dir, 'pom.xml'));
  build('mvn', ['-q', '-B', 'dependency:build-classpath', '-Dmdep.outputFile=classpath.txt'], dir);
  const classpath = readFileSync(join(dir, 'classpath.txt'), 'utf8').trim();
  build(
    'javac',
    [
      '-Werror',
      '-d',
      'classes',
      '-cp',
      classpath,
      join(ROOT, 'examples', 'Teardown.java'),
      join(SUPPORT, 'java-parent', 'Runner.java'),
    ],
    dir,
  );
  await expectParentCancels('java', ['java', '-cp', `${join(dir, 'classes')}:${classpath}`, 'Runner']);
}, 300_000);
