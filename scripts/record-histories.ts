/**
 * Records the workflows' histories for the replay test: every outcome and path of both cancellers and of a bulk
 * cancel (with its batch),
 * run for real on a dev server against the Google emulator, written as JSON to `test/histories/<release>/`.
 *
 *   npm run histories:record -- <release>                  e.g. 0.2.0: every scenario, into an emptied folder
 *   npm run histories:record -- <release> --only <a,b>     only these scenarios; the folder's other files stay
 *
 * Run it once per release, before its workflows change again, and commit the folder: `test/replay.test.ts`
 * replays every committed history against today's workflow code, so a change that would break cancellers
 * still running from that release fails CI.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createActivities } from '../activities';
import { extendTimeoutUpdate, giveUpSignal, pollNowSignal, statusQuery } from '../src/domain/canceller-api';
import type { AwaitOperationInput, CancelOperationInput, PollOptions } from '../src/domain/canceller-input';
import { startAwait, startCancel } from '../src/temporal/client';
import { startCancelAll } from '../src/temporal/bulk-client';
import { cancelWorkflowId } from '../src/domain/workflow-id';
import type { CancelOperationsInput } from '../src/domain/bulk-input';
import { googleAuthorizer } from '../src/google/google-auth';
import { createDispatcher } from '../src/google/http-dispatcher';
import { parseAllowedHosts } from '../src/domain/host-allowlist';
import { GoogleEmulator, type ScriptedFailure, type ScriptedOperation } from '../src/testing/emulator';
import { startDevServer } from '../src/testing/temporal-servers';

const ROOT = join(__dirname, '..', '..');
/** The workflows the replay test loads: the package's, plus the parent that runs one as a child. */
export const REPLAY_WORKFLOWS = join(ROOT, 'test', 'support', 'test-workflows.ts');
/** Beside the histories: the workflow ID each was recorded under, by file name. */
export const WORKFLOW_IDS_FILE = 'workflow-ids.json';
const FAST: PollOptions = { initialInterval: '100ms', maximumInterval: '300ms' };

/** One recorded run: the operation as the emulator plays it, the workflow started on it, and what is done to it. */
interface Scenario {
  name: string;
  script?: Omit<ScriptedOperation, 'name' | 'apiVersion' | 'service'>;
  failNext?: { route: 'cancel' | 'get'; answer: ScriptedFailure };
  start(client: Client, url: string, taskQueue: string): Promise<WorkflowHandle>;
  /** What happens while it runs (signals, updates, a cancel). */
  drive?(handle: WorkflowHandle): Promise<void>;
  /** Needs the server's continue-as-new suggestion lowered. */
  continuesAsNew?: boolean;
  /** More operations to serve before it starts (a selector's set). */
  setup?(emulator: GoogleEmulator): void;
  /** Child workflows whose histories are recorded too (a bulk cancel's batches, a parent's canceller). */
  children?(handle: WorkflowHandle, url: string): string[];
  /** An operation URL past 255 characters (the longest IDs and search-attribute values SQL stores). */
  longUrl?: boolean;
}

const cancel =
  (input: Omit<CancelOperationInput, 'operation'> = {}) =>
  (client: Client, url: string, taskQueue: string): Promise<WorkflowHandle> =>
    startCancel(client, { operation: url, poll: FAST, ...input }, { taskQueue });
const awaitOp =
  (input: Partial<AwaitOperationInput>) =>
  (client: Client, url: string, taskQueue: string): Promise<WorkflowHandle> =>
    startAwait(client, { operation: url, poll: FAST, timeout: '1h', ...input }, { taskQueue });
const bulk =
  (input: (url: string) => CancelOperationsInput) =>
  (client: Client, url: string, taskQueue: string): Promise<WorkflowHandle> =>
    startCancelAll(client, { cancelsPerSecond: 50, poll: { schedule: 'prompt' }, ...input(url) }, { taskQueue });
const firstBatch = (handle: WorkflowHandle): string[] => [`${handle.workflowId}/batch-0`];
const BULK_PARENT = 'projects/p-bulk/locations/us-central1';
const raw =
  (type: string, input: (url: string) => unknown) =>
  (client: Client, url: string, taskQueue: string): Promise<WorkflowHandle> =>
    client.workflow.start(type, { args: [input(url)], taskQueue, workflowId: `raw-${type}-${Date.now()}` });

async function polled(handle: WorkflowHandle, polls: number): Promise<void> {
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status && status.polls >= polls) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${handle.workflowId}: fewer than ${polls} polls after 30 s`);
}

const SCENARIOS: Scenario[] = [
  { name: 'cancel-cancelled-at-once', script: { afterCancel: { to: { kind: 'cancelled' } } }, start: cancel() },
  {
    name: 'cancel-cancelled-after-polls',
    script: { afterCancel: { to: { kind: 'cancelled' }, afterPolls: 3 } },
    start: cancel(),
  },
  {
    name: 'cancel-completed-response',
    script: { afterCancel: { to: { kind: 'succeeded', response: { '@type': 'type.googleapis.com/x.Release' } } } },
    start: cancel(),
  },
  {
    name: 'cancel-completed-without-result',
    script: { onCancel: 'accept-empty', afterCancel: { to: { kind: 'done-without-result' } } },
    start: cancel(),
  },
  {
    name: 'cancel-failed',
    script: { afterCancel: { to: { kind: 'failed', error: { code: 13, message: 'disk full' } } } },
    start: cancel(),
  },
  { name: 'cancel-unimplemented', script: { onCancel: 'unimplemented' }, start: cancel() },
  { name: 'cancel-not-cancellable', script: { onCancel: 'failed-precondition' }, start: cancel() },
  { name: 'cancel-not-found', script: { initial: { kind: 'gone' } }, start: cancel({ notFoundGracePeriod: '1s' }) },
  { name: 'cancel-timed-out', script: { afterCancel: { to: { kind: 'running' } } }, start: cancel({ timeout: '2s' }) },
  { name: 'cancel-error-permission-denied', script: { onCancel: 'permission-denied' }, start: cancel() },
  {
    name: 'cancel-error-invalid-input',
    start: raw('cancelOperation', (url) => ({ operation: url, timeout: 'soon' })),
  },
  {
    name: 'cancel-abandoned',
    script: { afterCancel: { to: { kind: 'running' } } },
    start: cancel({ poll: { initialInterval: '1h' } }),
    async drive(handle) {
      await polled(handle, 1);
      await handle.cancel();
    },
  },
  {
    name: 'cancel-signals-and-update',
    script: { afterCancel: { to: { kind: 'running' } } },
    start: cancel({ poll: { initialInterval: '1h' } }),
    async drive(handle) {
      await polled(handle, 1);
      await handle.signal(pollNowSignal);
      await polled(handle, 2);
      await handle.executeUpdate(extendTimeoutUpdate, { args: ['2h'] });
      await handle.signal(giveUpSignal);
    },
  },
  {
    name: 'cancel-first-get-retried',
    script: { afterCancel: { to: { kind: 'cancelled' } } },
    failNext: { route: 'get', answer: { code: 'RESOURCE_EXHAUSTED', retryDelay: '1s' } },
    start: cancel(),
  },
  {
    name: 'cancel-activity-retried',
    script: { afterCancel: { to: { kind: 'cancelled' } } },
    failNext: { route: 'cancel', answer: { code: 'UNAVAILABLE', times: 2 } },
    start: cancel(),
  },
  { name: 'cancel-not-found-resend', script: { visibleAfterPolls: 2 }, start: cancel() },
  {
    name: 'cancel-continued-as-new',
    script: { afterCancel: { to: { kind: 'cancelled' }, afterPolls: 12 } },
    start: cancel(),
    continuesAsNew: true,
  },
  {
    name: 'parent-runs-cancel-as-child',
    start: raw('parentCancels', (url) => ({ operation: url, poll: FAST })),
  },
  {
    name: 'parent-runs-cancel-long-url',
    script: { afterCancel: { to: { kind: 'cancelled' } } },
    start: raw('parentCancels', (url) => ({ operation: url, poll: FAST })),
    children: (_handle, url) => [cancelWorkflowId(url)],
    longUrl: true,
  },
  {
    name: 'teardown-long-url',
    script: { afterCancel: { to: { kind: 'cancelled' } } },
    start: raw('teardown', (url) => url),
    children: (_handle, url) => [cancelWorkflowId(url)],
    longUrl: true,
  },
  {
    // Started without search attributes (as from the Web UI), so the canceller records them itself.
    name: 'cancel-long-url-raw-start',
    script: { afterCancel: { to: { kind: 'cancelled' } } },
    start: raw('cancelOperation', (url) => ({ operation: url, poll: FAST })),
    longUrl: true,
  },
  {
    name: 'await-completed-in-time',
    script: { finish: { to: { kind: 'succeeded' }, afterPolls: 2 } },
    start: awaitOp({}),
  },
  {
    name: 'await-failed-in-time',
    script: { finish: { to: { kind: 'failed', error: { code: 9, message: 'quota' } }, afterPolls: 1 } },
    start: awaitOp({}),
  },
  {
    name: 'await-timed-out-then-cancelled',
    script: { afterCancel: { to: { kind: 'cancelled' }, afterPolls: 1 } },
    start: awaitOp({ timeout: '1s' }),
  },
  {
    name: 'await-timed-out-without-cancel',
    script: {},
    start: awaitOp({ timeout: '1s', cancelOnTimeout: false }),
  },
  {
    name: 'await-given-up-then-cancelled',
    script: { afterCancel: { to: { kind: 'cancelled' } } },
    start: awaitOp({ poll: { initialInterval: '1h' } }),
    async drive(handle) {
      await polled(handle, 1);
      await handle.signal(giveUpSignal);
    },
  },
  {
    name: 'await-abandoned',
    script: {},
    start: awaitOp({ poll: { initialInterval: '1h' } }),
    async drive(handle) {
      await polled(handle, 1);
      await handle.cancel();
    },
  },
  {
    name: 'cancel-wait-mode',
    script: { afterCancel: { to: { kind: 'cancelled' }, afterMs: 1_500 } },
    start: cancel({ poll: { ...FAST, mode: 'wait' } }),
  },
  {
    name: 'await-wait-mode',
    script: { finish: { to: { kind: 'succeeded' }, afterMs: 1_500 } },
    start: awaitOp({ poll: { ...FAST, mode: 'wait' } }),
  },
  {
    name: 'bulk-list',
    script: { afterCancel: { to: { kind: 'cancelled' }, afterMs: 500 } },
    start: bulk((url) => ({ operations: [url] })),
    children: firstBatch,
  },
  {
    name: 'bulk-selector-every-outcome',
    setup(emulator) {
      const serve = (id: string, script: Omit<ScriptedOperation, 'name'>): void =>
        emulator.addOperation({ name: `${BULK_PARENT}/operations/${id}`, apiVersion: 'v1', ...script });
      serve('cancelled', { afterCancel: { to: { kind: 'cancelled' }, afterMs: 300 } });
      serve('completed', { afterCancel: { to: { kind: 'succeeded' }, afterMs: 300 } });
      serve('unimplemented', { onCancel: 'unimplemented' });
      serve('not-cancellable', { onCancel: 'failed-precondition', cancelFlag: 'none' });
      serve('timed-out', { afterCancel: { to: { kind: 'running' } } });
      serve('already-done', { initial: { kind: 'succeeded' } });
    },
    start: bulk(() => ({
      select: { service: 'alloydb.googleapis.com', apiVersion: 'v1', parent: BULK_PARENT, filter: 'done = false' },
      timeout: '3s',
    })),
    children: firstBatch,
  },
  {
    name: 'bulk-dry-run',
    start: bulk(() => ({
      select: { service: 'alloydb.googleapis.com', apiVersion: 'v1', parent: BULK_PARENT },
      dryRun: true,
    })),
  },
  {
    name: 'await-continued-as-new',
    script: { finish: { to: { kind: 'succeeded' }, afterPolls: 12 } },
    start: awaitOp({}),
    continuesAsNew: true,
  },
];

async function main(argv: readonly string[]): Promise<number> {
  const [release, flag, list] = argv;
  const only = flag === '--only' ? new Set((list ?? '').split(',').filter((n) => n !== '')) : undefined;
  const unknown = only ? [...only].filter((n) => !SCENARIOS.some((s) => s.name === n)) : [];
  if (!release || !/^[0-9]+\.[0-9]+\.[0-9]+$/.test(release) || (flag !== undefined && !only?.size) || unknown.length) {
    process.stderr.write('usage: npm run histories:record -- <release, e.g. 0.2.0> [--only <scenario,...>]\n');
    if (unknown.length) process.stderr.write(`unknown scenarios: ${unknown.join(', ')}\n`);
    return 2;
  }
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
  const out = join(ROOT, 'test', 'histories', release);
  if (!only) rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const chosen = SCENARIOS.filter((s) => !only || only.has(s.name));
  const bundle = await bundleWorkflowCode({ workflowsPath: REPLAY_WORKFLOWS, logger: new DefaultLogger('ERROR') });
  for (const continuesAsNew of [false, true]) {
    const scenarios = chosen.filter((s) => Boolean(s.continuesAsNew) === continuesAsNew);
    if (scenarios.length > 0) await recordAll(scenarios, bundle, out, continuesAsNew);
  }
  process.stdout.write(`recorded ${chosen.length} scenarios into ${out}\n`);
  return 0;
}

async function recordAll(
  scenarios: Scenario[],
  bundle: WorkflowBundleWithSourceMap,
  out: string,
  continuesAsNew: boolean,
): Promise<void> {
  const [env, emulator] = await Promise.all([
    startDevServer(continuesAsNew ? { dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 40 } } : {}),
    GoogleEmulator.start(),
  ]);
  process.env['GCE_METADATA_HOST'] = emulator.hostPort;
  delete process.env['GOOGLE_APPLICATION_CREDENTIALS'];
  const deps = {
    authorizer: googleAuthorizer(),
    dispatcher: createDispatcher(),
    allowlist: parseAllowedHosts(''),
    emulatorHost: emulator.hostPort,
  };
  const taskQueue = 'record-histories';
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: createActivities(deps),
  });
  try {
    await worker.runUntil(async () => {
      for (const scenario of scenarios) await recordOne(scenario, env.client, emulator, taskQueue, out);
    });
  } finally {
    await deps.dispatcher.close();
    await emulator.close();
    await env.teardown();
  }
}

async function recordOne(
  scenario: Scenario,
  client: Client,
  emulator: GoogleEmulator,
  taskQueue: string,
  out: string,
): Promise<void> {
  const id = scenario.longUrl ? `${scenario.name}-${'x'.repeat(300)}` : scenario.name;
  const name = `projects/p/locations/us-central1/operations/${id}`;
  emulator.addOperation({ name, apiVersion: 'v1', service: 'alloydb.googleapis.com', ...scenario.script });
  scenario.setup?.(emulator);
  if (scenario.failNext) emulator.failNext({ route: scenario.failNext.route, name }, scenario.failNext.answer);
  const url = `https://alloydb.googleapis.com/v1/${name}`;
  const handle = await scenario.start(client, url, taskQueue);
  await scenario.drive?.(handle);
  await handle.result().catch(() => undefined);
  await recordRuns(client, handle.workflowId, scenario.name, out);
  for (const [i, child] of (scenario.children?.(handle, url) ?? []).entries()) {
    await recordRuns(client, child, `${scenario.name}.child${i + 1}`, out);
  }
}

/** Writes every run of `workflowId`, oldest first: a workflow continued as new has several. */
async function recordRuns(client: Client, workflowId: string, base: string, out: string): Promise<void> {
  const found: { runId: string; startTime: Date }[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) found.push(wf);
  const runs = found.sort((a, b) => a.startTime.getTime() - b.startTime.getTime()).map((wf) => wf.runId);
  let index = 0;
  for (const runId of runs) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const file = runs.length === 1 ? `${base}.json` : `${base}.run${++index}.json`;
    writeFileSync(join(out, file), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
    process.stdout.write(`  ${file}: ${history.events?.length ?? 0} events\n`);
    // A workflow that derives its children's IDs from its own replays only under the ID it ran with.
    const ids = join(out, WORKFLOW_IDS_FILE);
    const known = existsSync(ids) ? (JSON.parse(readFileSync(ids, 'utf8')) as Record<string, string>) : {};
    known[file] = workflowId;
    const sorted = Object.fromEntries(Object.entries(known).sort(([a], [b]) => a.localeCompare(b)));
    writeFileSync(ids, `${JSON.stringify(sorted, null, 1)}\n`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `record-histories failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
