/**
 * Parents in any language, and starts from the Temporal CLI: the canceller's input and result are plain JSON on a
 * named task queue (`gcp-lro`). The README's Python parent (`examples/parent_workflow.py`, run with the `temporalio`
 * package from PyPI, installed here into the git-ignored `.temporal/python`) and the README's `temporal workflow
 * start` command (`examples/start-with-temporal-cli.sh`) each reach the package's worker and its outcome.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LRO_OUTCOME } from '../src/domain/search-attributes';
import { cancelWorkflowId } from '../src/domain/workflow-id';
import { ROOT } from './support/build';
import { runShellSnippet, startStack, unique, type Stack } from './support/harness';

const PYTHON_SDK = 'temporalio==1.35.0';
const PYTHON_PATH = join(ROOT, '.temporal', 'python');

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

/** Installs the Python SDK from PyPI into `.temporal/python` unless it is there already. */
function ensurePythonSdk(): void {
  if (existsSync(join(PYTHON_PATH, 'temporalio'))) return;
  execFileSync(
    'python3',
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', PYTHON_PATH, PYTHON_SDK],
    {
      stdio: 'inherit',
    },
  );
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
  ensurePythonSdk();
  const url = operation(`projects/p/locations/us-central1/operations/${unique('py')}`);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      'python3',
      [
        join(__dirname, 'support', 'python_parent_runner.py'),
        stack.env.connection.options.address,
        url,
        unique('py-parent'),
      ],
      { env: { ...process.env, PYTHONPATH: PYTHON_PATH }, timeout: 90_000 },
      (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
    );
  });
  expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({ outcome: 'CANCELLED' });
  const canceller = await stack.env.client.workflow.getHandle(cancelWorkflowId(url)).describe();
  expect(canceller.raw.workflowExecutionInfo?.parentExecution?.workflowId).toMatch(/^py-parent-/);
  expect(stack.emulator.count({ route: 'cancel', name: url.split('/v1/')[1] })).toBe(1);
}, 180_000);
