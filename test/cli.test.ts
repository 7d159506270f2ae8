/**
 * The command line as users run it: `node dist/src/cli/main.js` in a child process, against a real Temporal dev
 * server, the Google emulator and a worker on this file's task queue.
 */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { EXIT_CODES } from '../src/domain/exit-codes';
import type { ScriptedOperation } from '../src/testing/emulator';
import { cancelWorkflowId } from '../src/domain/workflow-id';
import { operationSearchValue } from '../src/domain/search-attributes';
import { buildDist, ROOT } from './support/build';
import { startStack, unique, type Stack } from './support/harness';

const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

let stack: Stack;

beforeAll(async () => {
  await Promise.all([buildDist(), startStack().then((s) => (stack = s))]);
});
afterAll(async () => {
  await stack?.stop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with the dev server's address; `env` adds to (or, with `undefined`, removes from) it. */
function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, env: childEnv({ TEMPORAL_ADDRESS: stack.env.connection.options.address, ...env }), timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

/** An AlloyDB operation the emulator serves, scripted as given. */
function alloydb(script: Omit<ScriptedOperation, 'name'> = {}): string {
  const name = `projects/p/locations/us-central1/operations/${unique()}`;
  stack.emulator.addOperation({ name, apiVersion: 'v1beta', service: 'alloydb.googleapis.com', ...script });
  return `https://alloydb.googleapis.com/v1beta/${name}`;
}

const FAST = ['--poll-interval', '200ms'];

describe('cancel --wait', () => {
  let cancelled: string;

  test('exits 0 for an operation whose cancel is confirmed, printing the workflow ID, progress and the outcome', async () => {
    cancelled = alloydb({ afterCancel: { to: { kind: 'cancelled' }, afterPolls: 2 } });
    // The default 1 s first poll interval leaves the progress display (a query a second) time to see a poll.
    const run = await cli(['cancel', cancelled, '--wait', '--task-queue', stack.taskQueue]);
    expect(run).toMatchObject({ code: EXIT_CODES.CANCELLED, stderr: '' });
    const out = lines(run.stdout);
    expect(out[0]).toBe(cancelWorkflowId(cancelled));
    // Not a terminal: plain progress lines, one per change, no carriage returns.
    expect(out.slice(1, -1).every((line) => /^cancelling \| polls \d+ \| elapsed \d+s \| /.test(line))).toBe(true);
    expect(run.stdout).toMatch(/cancel requested: yes/);
    expect(run.stdout).not.toMatch(/\r/);
    expect(out.at(-1)).toBe(
      `CANCELLED: ${cancelled} after 3 poll(s), cancel accepted (CANCELLED: Operation was cancelled.)`,
    );
  });

  test('exits with one code per outcome', async () => {
    const cases: [string, string[], number][] = [
      [alloydb({ afterCancel: { to: { kind: 'succeeded' } } }), [], EXIT_CODES.COMPLETED],
      [
        alloydb({ afterCancel: { to: { kind: 'failed', error: { code: 13, message: 'disk full' } } } }),
        [],
        EXIT_CODES.FAILED,
      ],
      [alloydb({ onCancel: 'unimplemented' }), [], EXIT_CODES.UNIMPLEMENTED],
      [alloydb({ onCancel: 'failed-precondition' }), [], EXIT_CODES.NOT_CANCELLABLE],
      [
        `https://alloydb.googleapis.com/v1beta/projects/p/locations/l/operations/${unique('missing')}`,
        ['--not-found-grace', '1s'],
        EXIT_CODES.NOT_FOUND,
      ],
      [alloydb({ afterCancel: { to: { kind: 'running' } } }), ['--timeout', '2s'], EXIT_CODES.TIMED_OUT],
    ];
    const runs = await Promise.all(
      cases.map(([url, extra]) => cli(['cancel', url, '--wait', '--task-queue', stack.taskQueue, ...FAST, ...extra])),
    );
    expect(runs.map((run) => run.code)).toEqual(cases.map(([, , code]) => code));
    expect(runs.map((run) => lines(run.stdout).at(-1)?.split(':')[0])).toEqual([
      'COMPLETED',
      'FAILED',
      'UNIMPLEMENTED',
      'NOT_CANCELLABLE',
      'NOT_FOUND',
      'TIMED_OUT',
    ]);
  });

  test('exits 1 with one line when the canceller fails (PERMISSION_DENIED)', async () => {
    const url = alloydb({ onCancel: 'permission-denied' });
    const run = await cli(['cancel', url, '--wait', '--task-queue', stack.taskQueue]);
    expect(run.code).toBe(EXIT_CODES.ERROR);
    expect(lines(run.stderr)).toEqual([
      expect.stringMatching(
        /^temporal-gcp-lro cancel: the canceller did not finish with an outcome: ERROR PERMISSION_DENIED: /,
      ),
    ]);
  });

  test('list --outcome CANCELLED shows the operation', async () => {
    let run: Run | undefined;
    for (let tries = 0; tries < 50; tries++) {
      run = await cli(['list', '--outcome', 'CANCELLED', '--limit', '100']);
      if (run.stdout.includes(cancelled)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(run?.code).toBe(0);
    const out = lines(run?.stdout ?? '');
    expect(out[0]).toMatch(/^OUTCOME +STATUS +WORKFLOW +STARTED +OPERATION$/);
    expect(out.find((line) => line.endsWith(cancelled))).toMatch(/^CANCELLED +COMPLETED +cancelOperation /);
  });

  test('status prints the outcome of a finished canceller, and --json its result', async () => {
    const run = await cli(['status', cancelled]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^status +COMPLETED$/m);
    expect(run.stdout).toMatch(/^outcome +CANCELLED$/m);
    expect(run.stdout).toMatch(/^polls +3$/m);
    const json = JSON.parse((await cli(['status', cancelled, '--json'])).stdout);
    expect(json).toMatchObject({
      workflowId: cancelWorkflowId(cancelled),
      outcome: 'CANCELLED',
      result: { outcome: 'CANCELLED', polls: 3 },
    });
  });
});

describe('await and status while running', () => {
  test('status shows live progress; await --no-cancel --wait ends TIMED_OUT (15)', async () => {
    const url = alloydb();
    const started = await cli([
      'await',
      url,
      '--timeout',
      '3s',
      '--no-cancel',
      '--task-queue',
      stack.taskQueue,
      ...FAST,
    ]);
    expect(started.code).toBe(0);
    expect(lines(started.stdout)).toEqual([`lro-await:${url}`]);
    const status = await cli(['status', url]);
    expect(status.stdout).toMatch(/^status +RUNNING$/m);
    expect(status.stdout).toMatch(/^outcome +PENDING$/m);
    expect(status.stdout).toMatch(/^progress +waiting \| polls \d+ \| elapsed \d+s \| cancel not sent \| /m);
    const waited = await cli([
      'await',
      url,
      '--timeout',
      '3s',
      '--no-cancel',
      '--wait',
      '--task-queue',
      stack.taskQueue,
    ]);
    expect(waited.code).toBe(EXIT_CODES.TIMED_OUT);
    expect(lines(waited.stdout).at(-1)).toMatch(/^TIMED_OUT: .* cancel not accepted, timeout passed$/);
  });
});

describe('bad input: exit 2, one line on stderr, nothing started', () => {
  test.each([
    [
      ['cancel', 'https://alloydb.googleapis.com/v1/projects/p/../x/operations/o'],
      'temporal-gcp-lro cancel: operation: must not contain "." or ".." path segments (got "projects/p/../x/operations/o")',
    ],
    [
      ['cancel', 'https://alloydb.googleapis.com/v1/projects/p/locations/l/operations/o', '--timeout', 'soon'],
      /^temporal-gcp-lro cancel: --timeout: must be a duration/,
    ],
    [
      ['cancel', 'https://alloydb.googleapis.com/v1/projects/p/locations/l/operations/o', '--frobnicate'],
      /^temporal-gcp-lro cancel: Unknown option '--frobnicate'/,
    ],
    [
      ['cancel', 'projects/p/locations/l/operations/o'],
      /^temporal-gcp-lro cancel: --service: is required with a resource name/,
    ],
    [
      ['await', 'https://alloydb.googleapis.com/v1/projects/p/locations/l/operations/o'],
      'temporal-gcp-lro await: --timeout: is required (e.g. "2h")',
    ],
    [['cancel'], /^temporal-gcp-lro cancel: operation: give exactly one operation URL/],
    [
      ['list', '--outcome', 'DONE'],
      /^temporal-gcp-lro list: --outcome: must be one of CANCELLED, .*, ABANDONED \(got "DONE"\)$/,
    ],
    [['list', '--limit', '0'], /^temporal-gcp-lro list: --limit: must be a whole number/],
    [['explode'], /^temporal-gcp-lro: unknown command "explode"/],
  ])('%j', async (args, message) => {
    const run = await cli(args as string[], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(run.code).toBe(EXIT_CODES.USAGE);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)).toEqual([typeof message === 'string' ? message : expect.stringMatching(message)]);
  });

  test('an unreachable Temporal exits 3 with one line naming the address', async () => {
    const run = await cli(['cancel', 'https://alloydb.googleapis.com/v1/projects/p/locations/l/operations/o'], {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(run.code).toBe(EXIT_CODES.UNREACHABLE);
    expect(lines(run.stderr)).toEqual([
      expect.stringMatching(/^temporal-gcp-lro cancel: cannot connect to Temporal at 127\.0\.0\.1:1 \(/),
    ]);
  });

  test('--help for each command exits 0', async () => {
    const runs = await Promise.all(
      ['cancel', 'cancel-all', 'await', 'status', 'list', 'id', 'emulator', 'worker'].map((name) =>
        cli([name, '--help']),
      ),
    );
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: temporal-gcp-lro [\w-]+ /);
    }
    expect((await cli(['--help'])).stdout).toMatch(/14 NOT_FOUND/);
  });
});

describe('cancel-all', () => {
  /** A location of AlloyDB operations: two running ones, the first cancelled at once, and one already done. */
  function location(secondAfterCancel: ScriptedOperation['afterCancel']): { parent: string; running: string[] } {
    const parent = `projects/${unique('fleet')}/locations/us-central1`;
    const script = (id: string, extra: Partial<ScriptedOperation>): string => {
      const name = `${parent}/operations/${id}`;
      stack.emulator.addOperation({
        name,
        apiVersion: 'v1beta',
        service: 'alloydb.googleapis.com',
        metadata: {
          '@type': 'type.googleapis.com/google.cloud.alloydb.v1beta.OperationMetadata',
          createTime: '2026-11-30T08:00:00Z',
        },
        afterCancel: { to: { kind: 'cancelled' }, afterMs: 100 },
        ...extra,
      });
      return name;
    };
    const running = [script('a', {}), script('b', { afterCancel: secondAfterCancel })];
    script('done', { initial: { kind: 'succeeded' } });
    return { parent, running };
  }
  const selector = (parent: string) => [
    '--parent',
    parent,
    '--service',
    'alloydb.googleapis.com',
    '--api-version',
    'v1beta',
  ];

  test('--dry-run prints the matching operations as a table and sends nothing', async () => {
    const { parent, running } = location(undefined);
    const run = await cli(['cancel-all', ...selector(parent), '--dry-run', '--task-queue', stack.taskQueue]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const out = lines(run.stdout);
    expect(out[0]).toMatch(/^OPERATION +CREATED +TYPE$/);
    expect(out.slice(1, 3)).toEqual(
      running.map((name) =>
        expect.stringMatching(
          new RegExp(
            `^https://alloydb\\.googleapis\\.com/v1beta/${name} +2026-11-30T08:00:00Z +type\\.googleapis\\.com/`,
          ),
        ),
      ),
    );
    expect(out[3]).toBe('2 operations would be cancelled; nothing was sent');
    expect(stack.emulator.requests.filter((r) => r.route === 'cancel' && r.name?.startsWith(parent))).toHaveLength(0);
  });

  test('--wait shows progress and exits 0 only when every operation ended CANCELLED', async () => {
    const all = location(undefined);
    const ok = await cli([
      'cancel-all',
      ...selector(all.parent),
      '--wait',
      '--cancels-per-second',
      '50',
      '--task-queue',
      stack.taskQueue,
    ]);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(lines(ok.stdout).at(-1)).toBe('CANCELLED: 2 of 2 cancelled');
    const some = location({ to: { kind: 'succeeded' }, afterMs: 100 });
    const mixed = await cli([
      'cancel-all',
      ...selector(some.parent),
      '--wait',
      '--cancels-per-second',
      '50',
      '--task-queue',
      stack.taskQueue,
    ]);
    expect(mixed.code).toBe(16);
    const out = lines(mixed.stdout);
    expect(out[0]).toMatch(/^lro-cancel-all:[0-9a-f]{32}$/);
    expect(out.slice(1).some((line) => /^(listing|cancelling|finished) \| /.test(line))).toBe(true);
    expect(out).toContain('MIXED: 1 of 2 cancelled; COMPLETED 1');
    expect(out).toContain(`  COMPLETED: https://alloydb.googleapis.com/v1beta/${some.running[1]}`);
  });

  test('bad input exits 2 with one line naming the flag, and starts nothing', async () => {
    const run = await cli(['cancel-all', ...selector('projects/p/../x')]);
    expect(run).toMatchObject({ code: EXIT_CODES.USAGE, stdout: '' });
    expect(lines(run.stderr)).toEqual([expect.stringMatching(/^temporal-gcp-lro cancel-all: --parent: /)]);
    const neither = await cli(['cancel-all', '--service', 'alloydb.googleapis.com']);
    expect(neither).toMatchObject({ code: EXIT_CODES.USAGE });
    expect(neither.stderr).toMatch(/--parent: is required/);
  });
});

describe('id', () => {
  test("prints the canceller's workflow ID, as every entry point derives it, and refuses bad input with 2", async () => {
    const url = 'https://alloydb.googleapis.com/v1beta/projects/p/locations/us-central1/operations/op-1';
    const [plain, byName, awaitAs, bad, badAccount] = await Promise.all([
      cli(['id', url]),
      cli([
        'id',
        'projects/p/locations/us-central1/operations/op-1',
        '--service',
        'alloydb.googleapis.com',
        '--api-version',
        'v1beta',
      ]),
      cli(['id', url, '--await', '--impersonate', 'canceller@p.iam.gserviceaccount.com']),
      cli(['id', 'https://alloydb.googleapis.com/v1beta/projects/p/locations/us-central1/instances/i']),
      cli(['id', url, '--impersonate', 'not an account']),
    ]);
    expect(plain).toMatchObject({ code: 0, stdout: `${cancelWorkflowId(url)}\n` });
    expect(plain.stdout).toBe(`lro-cancel:${url}\n`);
    expect(byName).toMatchObject({ code: 0, stdout: plain.stdout });
    expect(awaitAs).toMatchObject({ code: 0, stdout: `lro-await:${url};as=canceller@p.iam.gserviceaccount.com\n` });
    expect(bad).toMatchObject({ code: EXIT_CODES.USAGE, stdout: '' });
    expect(lines(bad.stderr)).toEqual([expect.stringMatching(/operation/)]);
    expect(badAccount).toMatchObject({ code: EXIT_CODES.USAGE, stdout: '' });
    expect(lines(badAccount.stderr)).toEqual([expect.stringMatching(/impersonate/)]);
  });

  test('bounds a long operation to 255 characters, and prints its LroOperation value with --search-value', async () => {
    const url = `https://alloydb.googleapis.com/v1/projects/p/locations/l/operations/${'o'.repeat(400)}`;
    const [id, value, short] = await Promise.all([
      cli(['id', url]),
      cli(['id', url, '--search-value']),
      cli(['id', 'https://alloydb.googleapis.com/v1/operations/o', '--search-value']),
    ]);
    expect(id).toMatchObject({ code: 0, stdout: `${cancelWorkflowId(url)}\n` });
    expect(id.stdout.trim()).toHaveLength(255);
    expect(value).toMatchObject({ code: 0, stdout: `${operationSearchValue(url)}\n` });
    expect(value.stdout.trim()).toHaveLength(255);
    expect(value.stdout.startsWith('https://alloydb.googleapis.com/v1/projects/p/')).toBe(true);
    expect(short).toMatchObject({ code: 0, stdout: 'https://alloydb.googleapis.com/v1/operations/o\n' });
  });
});

describe('emulator', () => {
  test('serves the demo operations and prints the variables to use; SIGINT stops it with 0', async () => {
    const child = spawn(process.execPath, [CLI, 'emulator', '--port', '0', '--demo-operations'], {
      cwd: ROOT,
      env: childEnv({}),
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until(() => stdout.includes('operation-try-1'));
    const hostPort = /^export LRO_EMULATOR_HOST=(127\.0\.0\.1:\d+)$/m.exec(stdout)?.[1];
    expect(stdout).toContain(`export GCE_METADATA_HOST=${hostPort}`);
    const answer = await fetch(`http://${hostPort}/computeMetadata/v1/project/project-id`, {
      headers: { 'Metadata-Flavor': 'Google' },
    });
    expect(answer.status).toBe(200);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

async function until(done: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const [key, value] of Object.entries(extra)) if (value === undefined) delete env[key];
  return env;
}
