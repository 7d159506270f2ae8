/**
 * Metrics as an operator sees them: a real Prometheus (Debian's `prometheus` package; CI installs it) scrapes the
 * worker binary (`node dist/src/temporal/worker-main.js`, with LRO_METRICS_BIND) every second with the shipped alert
 * rules loaded. Its query API must count in `lro_outcomes` what the cancellers and a bulk cancel's operations did,
 * in series that were there at 0 before the first count; the rules must evaluate on the real series, stay quiet while
 * the worker polls, and go pending on real ERROR outcomes, on a worker that stopped and on one that left service
 * discovery; every metric the rules and the dashboard read must be exported. The probes beside `/metrics`: not ready
 * while the worker starts or shuts down, ready while it polls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CancelOperationInput, PollOptions } from '../src/domain/canceller-input';
import { OUTCOMES_BY_WORKFLOW_TYPE } from '../src/domain/metrics';
import { startCancelAll } from '../src/temporal/bulk-client';
import { startCancel } from '../src/temporal/client';
import { GoogleEmulator, type ScriptedOperation } from '../src/testing/emulator';
import { freePort } from '../src/testing/free-port';
import { startDevServer } from '../src/testing/temporal-servers';
import { buildDist, ROOT } from './support/build';
import { eventually, unique } from './support/harness';
import { ALERTS_FILE, dashboardQueries, metricNames, OUR_METRICS, SCRAPE_JOB, SDK_METRICS } from './support/monitoring';

const WORKER = join(ROOT, 'dist', 'src', 'temporal', 'worker-main.js');
const FAST_POLL: PollOptions = { initialInterval: '100ms', maximumInterval: '500ms' };

interface Probe {
  code: number;
  status: string;
}
interface Rule {
  name: string;
  query: string;
  health: string;
  state: string;
  lastError?: string;
}

let server: TestWorkflowEnvironment;
let emulator: GoogleEmulator;
let prometheus: { child: ChildProcess; url: string; log: () => string; dir: string; targets: string };
let worker: { child: ChildProcess; exit: Promise<number | null>; stdout: () => string; stderr: () => string };
let bind: string;
let taskQueue: string;
/** What /readyz and /healthz answered from the moment the endpoint listened until /readyz said 200. */
const startup: { readyz: Probe[]; healthz: Probe[] } = { readyz: [], healthz: [] };

beforeAll(async () => {
  const binary = onPath('prometheus');
  if (!binary) {
    throw new Error('prometheus is not installed: apt-get install prometheus (.ci/run installs it when missing)');
  }
  // Long polls that end every 3 s, not every minute, so that idle polls (the `*_poll_empty` series) show at once.
  [, server, emulator] = await Promise.all([
    buildDist(),
    startDevServer({ dynamicConfig: { 'matching.longPollExpirationInterval': '3s' } }),
    GoogleEmulator.start(),
  ]);
  bind = `127.0.0.1:${await freePort()}`;
  taskQueue = unique('tq');
  prometheus = await startPrometheus(binary, bind);
  worker = startWorker();
  await recordStartup();
}, 240_000);

afterAll(async () => {
  if (worker && worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  if (prometheus) {
    const exited = new Promise((resolve) => prometheus.child.once('exit', resolve));
    if (prometheus.child.exitCode === null && prometheus.child.signalCode === null) {
      prometheus.child.kill('SIGTERM');
      await exited;
    }
    rmSync(prometheus.dir, { recursive: true, force: true });
  }
  await emulator?.close();
  await server?.teardown();
});

describe('a worker scraped by a real Prometheus', () => {
  test('while the worker starts, /healthz says alive and /readyz not ready; once it polls, both 200', () => {
    const notReady = startup.readyz.filter((probe) => probe.code !== 200);
    expect(notReady.length).toBeGreaterThan(0);
    expect(new Set(notReady.map((probe) => `${probe.code} ${probe.status}`))).toEqual(new Set(['503 starting']));
    expect(startup.readyz.at(-1)).toEqual({ code: 200, status: 'ready' });
    expect(startup.healthz.length).toBeGreaterThan(0);
    expect(startup.healthz.every((probe) => probe.code === 200)).toBe(true);
    expect(startup.healthz[0]).toEqual({ code: 200, status: 'starting' });
    expect(worker.stdout()).toContain(`metrics at http://${bind}/metrics`);
  });

  test('before any canceller ends, every lro_outcomes series a workflow can count in is there, at 0', async () => {
    const expected = Object.entries(OUTCOMES_BY_WORKFLOW_TYPE)
      .flatMap(([workflowType, outcomes]) => outcomes.map((outcome) => `${workflowType} ${outcome}`))
      .sort();
    const series = async () => {
      const data = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
        `/api/v1/query?query=${encodeURIComponent(`lro_outcomes{job="${SCRAPE_JOB}", taskQueue="${taskQueue}"}`)}`,
      );
      return data.result.map(({ metric, value }) => `${metric['workflowType']} ${metric['outcome']} ${value[1]}`);
    };
    const zeros = await eventually(series, (found) => found.length === expected.length, 15_000);
    expect(zeros.sort()).toEqual(expected.map((key) => `${key} 0`));
  });

  test('Prometheus counts in lro_outcomes what the cancellers did, and each operation of a bulk cancel', async () => {
    const cancelled = operation();
    const cancelledAfterRetry = operation();
    emulator.failNext({ route: 'get', name: cancelledAfterRetry.name }, { code: 'UNAVAILABLE' });
    const completed = operation({ afterCancel: { to: { kind: 'succeeded' } } });
    const gone = operation({ afterCancel: { to: { kind: 'gone' } } });
    const denied = operation({ onCancel: 'permission-denied' });

    const inputs: CancelOperationInput[] = [
      { operation: cancelled.url, poll: FAST_POLL },
      { operation: cancelledAfterRetry.url, poll: FAST_POLL },
      { operation: completed.url, poll: FAST_POLL },
      { operation: gone.url, poll: FAST_POLL, notFoundGracePeriod: '300ms' },
      { operation: denied.url, poll: FAST_POLL },
    ];
    const runs = await Promise.all(inputs.map((input) => startCancel(server.client, input, { taskQueue })));
    const outcomes = await Promise.all(
      runs.map((handle) =>
        handle.result().then(
          (result) => result.outcome as string,
          () => 'ERROR',
        ),
      ),
    );
    expect(outcomes).toEqual(['CANCELLED', 'CANCELLED', 'COMPLETED', 'NOT_FOUND', 'ERROR']);

    // A bulk cancel of three: counted once each, under cancelOperationsBatch, beside the cancellers.
    const bulk = [
      operation(),
      operation({ afterCancel: { to: { kind: 'succeeded' } } }),
      operation({ onCancel: 'permission-denied' }),
    ];
    const bulkResult = await (
      await startCancelAll(
        server.client,
        { operations: bulk.map((op) => op.url), cancelsPerSecond: 100 },
        { taskQueue },
      )
    ).result();
    expect(bulkResult.counts).toMatchObject({ CANCELLED: 1, COMPLETED: 1, ERROR: 1 });

    const expected = {
      'cancelOperation CANCELLED': 2,
      'cancelOperation COMPLETED': 1,
      'cancelOperation NOT_FOUND': 1,
      'cancelOperation ERROR': 1,
      'cancelOperationsBatch CANCELLED': 1,
      'cancelOperationsBatch COMPLETED': 1,
      'cancelOperationsBatch ERROR': 1,
    };
    const counted = await eventually(
      () => counts(`lro_outcomes{job="${SCRAPE_JOB}", taskQueue="${taskQueue}"} > 0`),
      (value) => sorted(value) === sorted(expected),
      30_000,
    );
    expect(counted).toEqual(expected);
    // The workflows counted in the series the worker made at start: none was added beside them.
    expect(await byLabel(`count(lro_outcomes{job="${SCRAPE_JOB}", taskQueue="${taskQueue}"})`, 'none')).toEqual({
      none: Object.values(OUTCOMES_BY_WORKFLOW_TYPE).flat().length,
    });
    expect(await byLabel(`sum(lro_polls_count{job="${SCRAPE_JOB}", taskQueue="${taskQueue}"})`, 'none')).toEqual({
      none: 5,
    });
    const errors = await byLabel(
      `sum by (code) (lro_google_api_errors{job="${SCRAPE_JOB}", code=~"UNAVAILABLE|PERMISSION_DENIED"})`,
      'code',
    );
    expect(errors).toEqual({ UNAVAILABLE: 1, PERMISSION_DENIED: 2 });
  });

  test('the alert rules evaluate on the real series and stay quiet while the worker polls', async () => {
    const quiet = (rules: Rule[]) =>
      rules.length > 0 && rules.every((rule) => rule.health === 'ok' && rule.state === 'inactive');
    const rules = await eventually(alertRules, quiet, 60_000);
    expect(rules.map(({ name, health, state, lastError }) => ({ name, health, state, lastError }))).toEqual(
      rules.map(({ name }) => ({ name, health: 'ok', state: 'inactive', lastError: undefined })),
    );
    expect(rules).toHaveLength(8);
  });

  test('ERROR outcomes on the real series make LroErrorOutcomes pending', async () => {
    // Two ERRORs so far (a canceller, a bulk operation): three more cancellers refused by Google make five of eleven.
    const denied = [
      operation({ onCancel: 'permission-denied' }),
      operation({ onCancel: 'permission-denied' }),
      operation({ onCancel: 'permission-denied' }),
    ];
    const runs = await Promise.all(
      denied.map((op) => startCancel(server.client, { operation: op.url, poll: FAST_POLL }, { taskQueue })),
    );
    await Promise.all(runs.map((handle) => handle.result().catch(() => undefined)));
    const alert = await eventually(
      () =>
        byLabel(`ALERTS{alertname="LroErrorOutcomes", taskQueue="${taskQueue}"}`, 'alertstate').catch(
          () => ({}) as Record<string, number>,
        ),
      (value) => value['pending'] === 1,
      30_000,
    );
    expect(alert).toEqual({ pending: 1 });
  });

  test('every metric the alert rules and the dashboard read is one the worker exports', async () => {
    const rules = await alertRules();
    const read = new Set([
      ...rules.flatMap((rule) => metricNames(rule.query)),
      ...dashboardQueries().flatMap((query) => metricNames(query.expr)),
      ...SDK_METRICS,
      ...OUR_METRICS,
    ]);
    const names = await eventually(
      async () => new Set(await api<string[]>('/api/v1/label/__name__/values')),
      (exported) => [...read].every((name) => exported.has(name)),
      30_000,
    );
    expect([...read].filter((name) => !names.has(name))).toEqual([]);
  });

  test('every dashboard query runs on Prometheus, and those of the cancellers panels find data', async () => {
    const results = await Promise.all(
      dashboardQueries().map(async ({ where, expr }) => {
        const promql = expr
          .replace(/\$__rate_interval/g, '1m')
          .replace(/\$__range/g, '5m')
          .replace(/\$(namespace|task_queue)\b/g, '.*');
        const data = await api<{ result: unknown[] }>(`/api/v1/query?query=${encodeURIComponent(promql)}`).catch(
          (err: unknown) => ({ error: String(err) }),
        );
        return { where, result: 'error' in data ? data.error : data.result.length > 0 ? 'data' : 'empty' };
      }),
    );
    expect(results.filter(({ result }) => result !== 'data' && result !== 'empty')).toEqual([]);
    expect(results.filter(({ where, result }) => /Outcomes|Not confirmed/.test(where) && result !== 'data')).toEqual(
      [],
    );
  });

  test('on SIGTERM: not ready while in-flight work drains, still alive and scraped; then down for Prometheus, and gone once discovery drops it', async () => {
    const stalled = operation();
    emulator.failNext({ route: 'get', name: stalled.name }, { stallMs: 4_000 });
    await startCancel(server.client, { operation: stalled.url, poll: FAST_POLL }, { taskQueue });
    await eventually(
      async () => emulator.count({ route: 'get', name: stalled.name }),
      (gets) => gets > 0,
    );

    worker.child.kill('SIGTERM');
    const draining = await eventually(
      () => probe('/readyz'),
      (answer) => answer.code !== 200,
      5_000,
    );
    expect(draining).toEqual({ code: 503, status: 'stopping' });
    expect(await probe('/healthz')).toEqual({ code: 200, status: 'stopping' });
    expect((await fetch(`http://${bind}/metrics`)).status).toBe(200);

    expect(await worker.exit).toBe(0);
    const up = await eventually(
      () => byLabel(`up{job="${SCRAPE_JOB}"}`, 'job'),
      (value) => value[SCRAPE_JOB] === 0,
      15_000,
    );
    expect(up).toEqual({ [SCRAPE_JOB]: 0 });
    const down = await eventually(
      async () => (await alertRules()).find((rule) => rule.name === 'LroWorkerDown')?.state,
      (state) => state === 'pending',
      15_000,
    );
    expect(down).toBe('pending');

    // The rule looks back at the count once a minute (on the minute): wait until one such look has seen the worker.
    await eventually(
      () => byLabel(`max_over_time(count(up{job="${SCRAPE_JOB}"})[1h:1m])`, 'none'),
      (value) => value['none'] === 1,
      65_000,
    );
    // Service discovery drops the worker (as Docker's DNS drops an exited container): its `up` series ends.
    writeFileSync(prometheus.targets, JSON.stringify([{ targets: [] }]));
    const gone = await eventually(
      async () => (await alertRules()).find((rule) => rule.name === 'LroWorkerGone')?.state,
      (state) => state === 'pending',
      30_000,
    );
    expect(gone).toBe('pending');
    expect(await byLabel(`count(up{job="${SCRAPE_JOB}"}) or vector(0)`, 'none')).toEqual({ none: 0 });
  }, 180_000);
});

describe('the test Prometheus itself', () => {
  test('one that never becomes ready is stopped, and its directory removed, before the error', async () => {
    const fake = mkdtempSync(join(tmpdir(), 'lro-fake-prometheus-'));
    try {
      // Starts, records its PID, and never answers.
      const binary = join(fake, 'prometheus');
      writeFileSync(binary, `#!/bin/sh\necho $$ > ${join(fake, 'pid')}\nexec sleep 60\n`, { mode: 0o755 });
      await expect(startPrometheus(binary, '127.0.0.1:1', { readyWithinMs: 1_000, under: fake })).rejects.toThrow(
        /did not become ready/,
      );
      expect(readdirSync(fake).sort()).toEqual(['pid', 'prometheus']);
      const pid = Number(readFileSync(join(fake, 'pid'), 'utf8'));
      expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    } finally {
      rmSync(fake, { recursive: true, force: true });
    }
  });
});

function sorted(counts: Record<string, number>): string {
  return JSON.stringify(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this one
    }
  }
  return undefined;
}

/**
 * Prometheus on a free loopback port, scraping `target` every second as the shipped config's job does, found through a
 * targets file (service discovery a test can change). If it does not become ready, it is stopped and its directory
 * removed before the error is thrown.
 */
async function startPrometheus(
  binary: string,
  target: string,
  { readyWithinMs = 30_000, under = tmpdir() } = {},
): Promise<typeof prometheus> {
  const dir = mkdtempSync(join(under, 'lro-prometheus-'));
  const targets = join(dir, 'targets.json');
  writeFileSync(targets, JSON.stringify([{ targets: [target] }]));
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [ALERTS_FILE],
    scrape_configs: [{ job_name: SCRAPE_JOB, file_sd_configs: [{ files: [targets], refresh_interval: '1s' }] }],
  };
  // JSON is YAML.
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
  let child: ChildProcess | undefined;
  try {
    const listen = `127.0.0.1:${await freePort()}`;
    const started = spawn(binary, [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${listen}`,
    ]);
    child = started;
    let log = '';
    started.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    started.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const url = `http://${listen}`;
    const ready = await eventually(
      () =>
        fetch(`${url}/-/ready`).then(
          (res) => res.ok,
          () => false,
        ),
      (ok) => ok || started.exitCode !== null,
      readyWithinMs,
    );
    if (!ready) throw new Error(`prometheus did not become ready:\n${log}`);
    return { child: started, url, log: () => log, dir, targets };
  } catch (err) {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The worker binary, its Temporal, Google and LRO variables aimed at the dev server and the emulator. */
function startWorker(): typeof worker {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(TEMPORAL_|LRO_|GCE_METADATA_HOST$|GOOGLE_APPLICATION_CREDENTIALS$)/.test(key),
    ),
  );
  const env = {
    ...inherited,
    TEMPORAL_ADDRESS: server.connection.options.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    GCE_METADATA_HOST: emulator.hostPort,
    LRO_EMULATOR_HOST: emulator.hostPort,
    LRO_METRICS_BIND: bind,
  };
  const child = spawn(process.execPath, [WORKER], { cwd: ROOT, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exit, stdout: () => stdout, stderr: () => stderr };
}

/** Probes as fast as the worker answers from its first answer until /readyz says 200. */
async function recordStartup(): Promise<void> {
  const end = Date.now() + 60_000;
  while (startup.readyz.at(-1)?.code !== 200) {
    if (worker.child.exitCode !== null) throw new Error(`the worker exited: ${worker.stderr()}`);
    if (Date.now() > end) throw new Error(`the worker never got ready: ${worker.stderr()}`);
    const [healthz, readyz] = await Promise.all([probe('/healthz'), probe('/readyz')]).catch(() => []);
    if (healthz && readyz) {
      startup.healthz.push(healthz);
      startup.readyz.push(readyz);
    } else {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

async function probe(path: string): Promise<Probe> {
  const res = await fetch(`http://${bind}${path}`);
  const { status } = (await res.json()) as { status: string };
  return { code: res.status, status };
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${prometheus.url}${path}`);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? res.status}`);
  return body.data;
}

/** An instant query's `lro_outcomes` samples as `{ "<workflowType> <outcome>": number }`. */
async function counts(promql: string): Promise<Record<string, number>> {
  const data = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
    `/api/v1/query?query=${encodeURIComponent(promql)}`,
  );
  return Object.fromEntries(
    data.result.map(({ metric, value }) => [`${metric['workflowType']} ${metric['outcome']}`, Number(value[1])]),
  );
}

/** An instant query's samples as `{ [value of label]: number }`. */
async function byLabel(promql: string, label: string): Promise<Record<string, number>> {
  const data = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
    `/api/v1/query?query=${encodeURIComponent(promql)}`,
  );
  return Object.fromEntries(data.result.map(({ metric, value }) => [metric[label] ?? 'none', Number(value[1])]));
}

async function alertRules(): Promise<Rule[]> {
  const data = await api<{ groups: { rules: Rule[] }[] }>('/api/v1/rules?type=alert');
  return data.groups.flatMap((group) => group.rules);
}

/** A running operation in the emulator, behaving as `script` says. */
function operation(script: Omit<ScriptedOperation, 'name'> = {}): { name: string; url: string } {
  const name = `projects/p/locations/us-central1/operations/${unique()}`;
  emulator.addOperation({ name, apiVersion: 'v1', service: 'alloydb.googleapis.com', ...script });
  return { name, url: `https://alloydb.googleapis.com/v1/${name}` };
}
