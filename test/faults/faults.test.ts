/**
 * Cancellers under faults, end to end: the real worker binary as child processes, a real Temporal dev
 * server, the Google emulator injecting faults. Every scenario is bounded in count and time, asserts that
 * each canceller finishes with its scripted outcome, and adds its figures to test-artifacts/faults-summary.json.
 *
 * `npm run test:faults`; set FAULTS_SEED to replay a run's kill moments and operation mix.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { GoogleEmulator, type RecordedRequest } from '../../src/testing/emulator';
import { startDevServer } from '../../src/testing/temporal-servers';
import {
  awaitResults,
  faultsFromLog,
  planOperations,
  seededRandom,
  sleep,
  stillRunning,
  startCancellers,
  startDevServerProcess,
  startDevServerProcessOnFreePort,
  startWorkerProcess,
  Tally,
  totalFaults,
  unique,
  type Child,
  type PlannedOperation,
  type Results,
} from './support';

const SEED = Number(process.env['FAULTS_SEED'] ?? Date.now() % 1_000_000);
const random = seededRandom(SEED);
/** How long every canceller may take once the faults stop. Above the activities' 1-minute start-to-close
 * timeout, which is what brings back an activity whose worker was killed mid-call. */
const RESULTS_TIMEOUT_MS = 120_000;

const tally = new Tally();
let server: TestWorkflowEnvironment;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  process.stdout.write(`[faults] seed ${SEED} (FAULTS_SEED=${SEED} replays it)\n`);
  server = await startDevServer();
}, 120_000);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

afterAll(async () => {
  tally.write();
  await server?.teardown();
});

function address(): string {
  return server.connection.options.address;
}

/** A worker child process, stopped after the test whatever happens. */
async function worker(taskQueue: string, emulator: GoogleEmulator, temporalAddress = address()): Promise<Child> {
  const child = await startWorkerProcess({ temporalAddress, taskQueue, emulator });
  cleanups.push(() => child.stop('SIGKILL'));
  return child;
}

async function emulatorFor(options: Parameters<typeof GoogleEmulator.start>[0] = {}): Promise<GoogleEmulator> {
  const emulator = await GoogleEmulator.start({ seed: SEED, ...options });
  cleanups.push(() => emulator.close());
  return emulator;
}

function describeFailures(results: Results): string {
  return [...results.wrong.slice(0, 5), ...results.stuck.slice(0, 5).map((name) => `stuck: ${name}`)].join('\n');
}

/** What a scenario reports; the run fills it in before asserting, so a failed scenario still has figures. */
interface Figures {
  kills: number;
  restarts: number;
  notes: string[];
  emulator?: GoogleEmulator;
  planned?: PlannedOperation[];
  results?: Results;
}

/** Runs a scenario and records its figures, whether its assertions pass or not. */
async function scenario(name: string, run: (figures: Figures) => Promise<void>): Promise<void> {
  const started = Date.now();
  const figures: Figures = { kills: 0, restarts: 0, notes: [] };
  let error: unknown;
  try {
    await run(figures);
  } catch (err) {
    error = err;
  }
  const faultsByKind = figures.emulator ? (faultsFromLog(figures.emulator) as Record<string, number>) : {};
  const plannedCount = figures.planned?.length ?? 0;
  const finished = figures.results?.finished ?? 0;
  tally.add({
    scenario: name,
    passed: error === undefined,
    seconds: (Date.now() - started) / 1000,
    faults: totalFaults(faultsByKind) + figures.kills + figures.restarts,
    faultsByKind,
    kills: figures.kills,
    restarts: figures.restarts,
    started: plannedCount,
    finished,
    lost: plannedCount - finished,
    notes: figures.notes.join('; '),
  });
  if (error !== undefined) throw error;
}

function requestsByOperation(emulator: GoogleEmulator): Map<string, RecordedRequest[]> {
  const byName = new Map<string, RecordedRequest[]>();
  for (const request of emulator.requests) {
    if (request.name === undefined || (request.route !== 'get' && request.route !== 'cancel')) continue;
    const list = byName.get(request.name) ?? [];
    list.push(request);
    byName.set(request.name, list);
  }
  return byName;
}

test('1. 200 cancellers; the worker process is SIGKILLed three times at random moments and restarted', async () => {
  await scenario('1 worker SIGKILL x3', async (figures) => {
    const emulator = await emulatorFor();
    const taskQueue = unique('tq-kill');
    const planned = planOperations(emulator, 200, random, 10);
    let current = await worker(taskQueue, emulator);
    await startCancellers(server.client, taskQueue, planned);

    const runningAtKill: number[] = [];
    for (let kill = 0; kill < 3; kill++) {
      await sleep(1_000 + Math.floor(random() * 3_000));
      runningAtKill.push(stillRunning(emulator, planned));
      current.process.kill('SIGKILL');
      await current.exited;
      figures.kills++;
      current = await worker(taskQueue, emulator);
      figures.restarts++;
    }
    figures.notes.push(`operations still running at each kill: ${runningAtKill.join(', ')}`);

    const results = await awaitResults(server.client, planned, RESULTS_TIMEOUT_MS);
    Object.assign(figures, { emulator, planned, results });

    // A kill that lands on a cancel in flight sends it again when the activity is retried (at-least-once).
    // That is fine only if it is the same activity of the same run: one scheduled cancelAndGet, retried.
    const duplicates = planned.filter((op) => emulator.count({ route: 'cancel', name: op.name }) > 1);
    const notFromOneActivity: string[] = [];
    for (const op of duplicates) {
      const handle = server.client.workflow.getHandle(op.workflowId as string);
      const history = await handle.fetchHistory();
      const scheduled = (history.events ?? []).filter(
        (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'cancelAndGet',
      );
      const scheduledId = scheduled[0]?.eventId?.toString();
      const started = (history.events ?? []).find(
        (event) => event.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduledId,
      );
      const attempts = started?.activityTaskStartedEventAttributes?.attempt ?? 0;
      const cancels = emulator.count({ route: 'cancel', name: op.name });
      // One run (no continue-as-new at these poll counts) holding one scheduled cancel, attempted as often.
      if (scheduled.length !== 1 || attempts < cancels) {
        notFromOneActivity.push(`${op.name}: ${scheduled.length} cancelAndGet scheduled, ${attempts} attempts`);
      }
    }
    figures.notes.push(
      `${duplicates.length} operation(s) got their cancel twice, each from one retried activity of one run`,
    );

    expect(runningAtKill.every((running) => running > 0)).toBe(true);
    expect(describeFailures(results)).toBe('');
    expect(results.finished).toBe(planned.length);
    expect(planned.every((op) => emulator.count({ route: 'cancel', name: op.name }) >= 1)).toBe(true);
    expect(notFromOneActivity).toEqual([]);
  });
});

test('2. 30 cancellers; the dev server (SQLite file) is stopped with SIGTERM and restarted on the same port', async () => {
  await scenario('2 server restart', async (figures) => {
    const dir = mkdtempSync(join(tmpdir(), 'lro-faults-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const dbFilename = join(dir, 'db.sqlite');
    const first = await startDevServerProcessOnFreePort(dbFilename);
    const port = first.port;
    let devServer = first.server;
    cleanups.push(() => devServer.stop('SIGKILL'));
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });

    const emulator = await emulatorFor();
    const taskQueue = unique('tq-restart');
    const planned = planOperations(emulator, 30, random, 12);
    const workerProcess = await worker(taskQueue, emulator, `127.0.0.1:${port}`);
    await startCancellers(client, taskQueue, planned);

    await sleep(1_500 + Math.floor(random() * 1_500));
    const runningAtStop = stillRunning(emulator, planned);
    const stopped = Date.now();
    await devServer.stop('SIGTERM', 30_000);
    figures.kills++;
    await sleep(2_000);
    devServer = await startDevServerProcess({ dbFilename, port });
    figures.restarts++;
    figures.notes.push(
      `server down ${((Date.now() - stopped) / 1000).toFixed(1)} s; ${runningAtStop} operations still running at the stop`,
    );

    const results = await awaitResults(client, planned, RESULTS_TIMEOUT_MS);
    Object.assign(figures, { emulator, planned, results });
    expect(runningAtStop).toBeGreaterThan(0);
    expect(describeFailures(results)).toBe('');
    expect(results.finished).toBe(planned.length);
    expect(workerProcess.hasExited()).toBe(false);
  });
});

test('3. 30 cancellers through ~30% injected faults; retries wait as RetryInfo and Retry-After say', async () => {
  await scenario('3 HTTP faults', async (figures) => {
    const rate = 0.06; // six kinds: 1 - 0.94^6 = 31% of operations requests
    const emulator = await emulatorFor({
      faults: {
        unavailableRate: rate,
        rateLimitRate: rate,
        retryDelay: '3s',
        resetRate: rate,
        stallRate: rate,
        stallMs: 5_000,
        malformedJsonRate: rate,
        htmlRate: rate,
      },
    });
    const taskQueue = unique('tq-http');
    const planned = planOperations(emulator, 30, random, 6);
    // Retry-After alone (no RetryInfo) on the first GET of five operations.
    const retryAfterOnly = planned.filter((_, i) => i % 10 < 5).slice(0, 5);
    for (const op of retryAfterOnly) {
      emulator.failNext({ route: 'get', name: op.name }, { code: 'RESOURCE_EXHAUSTED', retryAfter: '2' });
    }
    await worker(taskQueue, emulator);
    await startCancellers(server.client, taskQueue, planned);
    const results = await awaitResults(server.client, planned, RESULTS_TIMEOUT_MS);
    Object.assign(figures, { emulator, planned, results });

    const gaps = { retryInfo: [] as number[], retryAfter: [] as number[] };
    for (const requests of requestsByOperation(emulator).values()) {
      requests.forEach((request, i) => {
        const next = requests[i + 1];
        if (!next) return;
        if (request.fault === 'rate-limit') gaps.retryInfo.push(next.at - request.at);
        if (request.fault === 'scripted') gaps.retryAfter.push(next.at - request.at);
      });
    }
    const range = (values: number[]): string =>
      values.length === 0 ? 'none' : `${Math.min(...values)}..${Math.max(...values)} ms`;
    const operationsRequests = emulator.requests.filter((r) => r.route === 'get' || r.route === 'cancel').length;
    figures.notes.push(
      `${operationsRequests} operations requests; next request after a 429 with RetryInfo 3s: ` +
        `${range(gaps.retryInfo)} (${gaps.retryInfo.length}); after Retry-After 2: ${range(gaps.retryAfter)} ` +
        `(${gaps.retryAfter.length})`,
    );

    expect(describeFailures(results)).toBe('');
    expect(results.finished).toBe(planned.length);
    const faults = faultsFromLog(emulator);
    for (const kind of ['unavailable', 'rate-limit', 'reset', 'stall', 'malformed-json', 'html'] as const) {
      expect({ kind, injected: faults[kind] ?? 0 }).toEqual({ kind, injected: expect.any(Number) });
    }
    expect(totalFaults(faults as Record<string, number>) / operationsRequests).toBeGreaterThan(0.15);
    // The default first retry is 1 s; these waits come only from the hints (timers may fire a little early).
    expect(gaps.retryInfo.length).toBeGreaterThan(0);
    expect(Math.min(...gaps.retryInfo)).toBeGreaterThanOrEqual(2_900);
    expect(gaps.retryAfter).toHaveLength(retryAfterOnly.length);
    expect(Math.min(...gaps.retryAfter)).toBeGreaterThanOrEqual(1_900);
  });
});

test('4. 30 cancellers; the token route fails for 30 s, tokens live 3 s, tokens are revoked mid-run', async () => {
  await scenario('4 credentials', async (figures) => {
    const emulator = await emulatorFor({ tokenLifetimeSeconds: 3 });
    const taskQueue = unique('tq-auth');
    const planned = planOperations(emulator, 30, random, 8);
    await worker(taskQueue, emulator);
    await startCancellers(server.client, taskQueue, planned);

    await sleep(1_500);
    const outageStart = Date.now();
    const outageEnd = outageStart + 30_000;
    emulator.setFaults({ tokenFailUntil: outageEnd });
    await sleep(outageEnd - Date.now() + 500);
    const tokensAtRecovery = emulator.tokensIssued().length;

    // The library refreshes 3 s tokens on every call; wait for the first fresh one, then revoke them all and
    // answer one GET each of three running cancellers with a 401, which must be refreshed and retried once.
    await sleep(1_000);
    emulator.revokeTokens();
    const running = planned.filter((op) => op.expected !== 'UNIMPLEMENTED' && op.expected !== 'NOT_CANCELLABLE');
    const unauthenticated = running.filter((op) => emulator.operation(op.name)?.['done'] !== true).slice(0, 3);
    for (const op of unauthenticated) {
      emulator.failNext({ route: 'get', name: op.name }, { code: 'UNAUTHENTICATED' });
    }

    const results = await awaitResults(server.client, planned, RESULTS_TIMEOUT_MS);
    Object.assign(figures, { emulator, planned, results });
    const requests = emulator.requests;
    const tokenFailures = requests.filter((r) => r.route === 'token' && r.status === 503).length;
    const tokensAfter = requests.filter((r) => r.route === 'token' && r.status === 200 && r.at >= outageEnd).length;
    const ops = requests.filter((r) => r.route === 'get' || r.route === 'cancel');
    const reachedDuringOutage = ops.filter((r) => r.at > outageStart + 3_500 && r.at < outageEnd).length;
    const okAfterOutage = ops.filter((r) => r.at >= outageEnd && r.status === 200).length;
    const firstOkAfter = ops.find((r) => r.at >= outageEnd && r.status === 200);
    figures.notes.push(
      `token route 503s: ${tokenFailures}; tokens issued: ${emulator.tokensIssued().length} ` +
        `(${tokensAtRecovery} by the end of the outage); operations calls during the outage: ${reachedDuringOutage}; ` +
        `first good call ${firstOkAfter ? ((firstOkAfter.at - outageEnd) / 1000).toFixed(1) : '-'} s after it; ` +
        `401s answered: ${ops.filter((r) => r.status === 401).length}`,
    );

    expect(describeFailures(results)).toBe('');
    expect(results.finished).toBe(planned.length);
    expect(tokenFailures).toBeGreaterThan(0);
    expect(reachedDuringOutage).toBe(0);
    expect(tokensAfter).toBeGreaterThan(0);
    expect(okAfterOutage).toBeGreaterThan(0);
    // Each scripted 401 was followed, for that operation, by an authorized call that succeeded.
    for (const op of unauthenticated) {
      const calls = ops.filter((r) => r.name === op.name);
      const index = calls.findIndex((r) => r.fault === 'scripted');
      expect({ op: op.name, after: calls[index + 1]?.status }).toEqual({ op: op.name, after: 200 });
    }
  });
});

test('5. 60 cancellers on two worker processes; one is SIGKILLed and the other finishes everything', async () => {
  await scenario('5 two workers, one killed', async (figures) => {
    const emulator = await emulatorFor();
    const taskQueue = unique('tq-two');
    const planned = planOperations(emulator, 60, random, 10);
    const [doomed, survivor] = await Promise.all([worker(taskQueue, emulator), worker(taskQueue, emulator)]);
    await startCancellers(server.client, taskQueue, planned);

    await sleep(2_000 + Math.floor(random() * 2_000));
    const runningAtKill = stillRunning(emulator, planned);
    const killedAt = Date.now();
    doomed.process.kill('SIGKILL');
    await doomed.exited;
    figures.kills++;

    const results = await awaitResults(server.client, planned, RESULTS_TIMEOUT_MS);
    Object.assign(figures, { emulator, planned, results });

    // Worker identities (pid@host) in the histories: the killed worker did work, and every canceller it was
    // the last to touch had closed before the kill; everything still open then was finished by the survivor.
    const doomedId = `${doomed.process.pid}@`;
    const survivorId = `${survivor.process.pid}@`;
    let doomedTasks = 0;
    let closedBySurvivor = 0;
    const closedByDoomedAfterKill: string[] = [];
    for (const op of planned) {
      const events = (await server.client.workflow.getHandle(op.workflowId as string).fetchHistory()).events ?? [];
      const completions = events.filter((event) => event.workflowTaskCompletedEventAttributes);
      doomedTasks += completions.filter((event) =>
        event.workflowTaskCompletedEventAttributes?.identity?.startsWith(doomedId),
      ).length;
      const last = completions.at(-1)?.workflowTaskCompletedEventAttributes?.identity ?? '';
      const closeTime = events.at(-1)?.eventTime;
      const closedAt = Number(String(closeTime?.seconds ?? 0)) * 1000 + (closeTime?.nanos ?? 0) / 1e6;
      if (last.startsWith(survivorId)) closedBySurvivor++;
      else if (closedAt > killedAt + 500) closedByDoomedAfterKill.push(`${op.name} closed by ${last}`);
    }
    figures.notes.push(
      `${runningAtKill} operations still running at the kill; workflow tasks by the killed worker: ${doomedTasks}; ` +
        `cancellers closed by the survivor: ${closedBySurvivor} of 60`,
    );

    expect(runningAtKill).toBeGreaterThan(0);
    expect(describeFailures(results)).toBe('');
    expect(results.finished).toBe(planned.length);
    expect(survivor.hasExited()).toBe(false);
    expect(doomedTasks).toBeGreaterThan(0);
    expect(closedByDoomedAfterKill).toEqual([]);
    expect(closedBySurvivor).toBeGreaterThan(0);
  });
});
