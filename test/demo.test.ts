/**
 * `npm run demo` as a person runs it: the built script in a child process, offline, against a real dev server.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { OUTCOMES } from '../src/domain/outcome';
import { DEMO_OPERATIONS, type DemoOperation } from '../src/testing/demo-operations';
import { buildDist, ROOT } from './support/build';

const DEMO = resolve(ROOT, 'dist/src/demo/main.js');

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the built demo; `until` may act on the output while it runs (e.g. send SIGINT). */
function runDemo(args: string[] = [], until?: (stdout: string, stop: () => void) => void): Promise<Exit> {
  const started = Date.now();
  const child = spawn(process.execPath, [DEMO, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    until?.(stdout, () => child.kill('SIGINT'));
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolveExit) => {
    child.on('close', (code) => resolveExit({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

/** The table row of a demo operation, split into its columns. */
function rowOf(stdout: string, op: DemoOperation): string[] | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(`${op.label}  `));
  return line?.split(/\s{2,}/);
}

let demo: Exit;

beforeAll(async () => {
  // The test runs what `npm run demo` runs: dist/ as this run built it, never a stale one.
  await buildDist();
  demo = await runDemo();
}, 120_000);

test('exits 0 in well under a minute, with every outcome as expected', () => {
  expect({ code: demo.code, stderr: demo.stderr }).toMatchObject({ code: 0 });
  expect(demo.ms).toBeLessThan(60_000);
  expect(demo.stdout).toContain(
    `${DEMO_OPERATIONS.length} workflows, ${DEMO_OPERATIONS.length} as expected, 0 mismatched`,
  );
});

test.each(DEMO_OPERATIONS.map((op) => [op.label, op] as const))(
  'one row for %s, with its expected outcome',
  (_, op) => {
    const [label, service, workflow, outcome, polls, time, check] = rowOf(demo.stdout, op) ?? [];
    expect({ label, service, workflow, check }).toEqual({
      label: op.label,
      service: op.service,
      workflow: op.workflow,
      check: 'ok',
    });
    expect(outcome).toBe(op.expected.timedOut ? `${op.expected.outcome} (timed out)` : op.expected.outcome);
    expect(polls).toMatch(/^\d+$/);
    expect(time).toMatch(/^\d+\.\ds$/);
  },
);

test('the demo covers every outcome, each seed service, and an await that times out and then cancels', () => {
  expect(new Set(DEMO_OPERATIONS.map((op) => op.expected.outcome))).toEqual(new Set(OUTCOMES));
  expect(new Set(DEMO_OPERATIONS.map((op) => op.service))).toEqual(
    new Set([
      'alloydb.googleapis.com',
      'clouddeploy.googleapis.com',
      'beyondcorp.googleapis.com',
      'dai.googleapis.com',
      'datastream.googleapis.com',
    ]),
  );
  const timedOutThenCancelled = DEMO_OPERATIONS.find((op) => op.workflow === 'awaitOperation' && op.expected.timedOut);
  expect(timedOutThenCancelled && rowOf(demo.stdout, timedOutThenCancelled)?.[3]).toBe('CANCELLED (timed out)');
});

test('prints the Web UI with a filtered list', () => {
  expect(demo.stdout).toMatch(/Web UI: http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows/);
  expect(demo.stdout).toContain('/namespaces/default/workflows?query=LroOutcome%3D%22CANCELLED%22');
});

test('--keep leaves the stack up, prints how to reach it, and stops cleanly on Ctrl-C', async () => {
  const seen: { emulator?: number; ui?: number } = {};
  let stopping = false;
  const kept = await runDemo(['--keep'], (stdout, stop) => {
    if (stopping || !stdout.includes('Left running until Ctrl-C')) return;
    stopping = true;
    const emulator = /export GCE_METADATA_HOST=(\S+)/.exec(stdout)?.[1];
    const ui = /Web UI +(http:\/\/\S+)/.exec(stdout)?.[1];
    void Promise.all([
      fetch(`http://${emulator}/computeMetadata/v1/project/project-id`, { headers: { 'Metadata-Flavor': 'Google' } }),
      fetch(`${ui}/api/v1/settings`),
    ])
      .then(([fromEmulator, fromUi]) => {
        seen.emulator = fromEmulator.status;
        seen.ui = fromUi.status;
      })
      .finally(stop);
  });
  expect({ code: kept.code, stderr: kept.stderr }).toMatchObject({ code: 0 });
  expect(seen).toEqual({ emulator: 200, ui: 200 });
  for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_TASK_QUEUE', 'GCE_METADATA_HOST', 'LRO_EMULATOR_HOST']) {
    expect(kept.stdout).toMatch(new RegExp(`export ${name}=\\S+`));
  }
  expect(kept.stdout).toMatch(/Input \(JSON\) +\{"operation":"https:\/\/alloydb\.googleapis\.com\/v1beta\/[^"]+"\}/);
  expect(kept.stdout).toContain('/namespaces/default/workflows/start-workflow?workflowId=');
}, 90_000);
