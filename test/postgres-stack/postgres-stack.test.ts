/**
 * docker-compose.yml's stack, run for real without a container engine (`npm run test:postgres`): the server version
 * the compose file names, built from its Go module; PostgreSQL persistence and SQL visibility configured by
 * deploy/temporal.env; the dynamic config deploy/dynamicconfig/postgresql.yaml; deploy/setup-temporal.sh for the
 * schemas, the namespace and the Lro* search attributes (the worker registers none itself here); the worker binary.
 * Cancellers of every kind of outcome, one of them on a 900-character operation URL, and a bulk cancel run through a
 * SIGKILL of the server and its restart; every outcome is checked in the results, the search attributes and the
 * memos, and found again by queries on PostgreSQL's visibility store.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { MAX_ID_LENGTH } from '../../src/domain/bounded-id';
import type { CancelOperationsResult } from '../../src/domain/bulk-api';
import { MAX_OPERATION_LENGTH } from '../../src/domain/operation-ref';
import type { Outcome } from '../../src/domain/outcome';
import {
  LRO_OPERATION,
  LRO_OUTCOME,
  LRO_SEARCH_ATTRIBUTES,
  LRO_SERVICE,
  operationSearchValue,
} from '../../src/domain/search-attributes';
import { cancelWorkflowId } from '../../src/domain/workflow-id';
import { startCancelAll } from '../../src/temporal/bulk-client';
import { startCancel } from '../../src/temporal/client';
import { GoogleEmulator, type ScriptedOperation } from '../../src/testing/emulator';
import { findTemporalBinary, TEMPORAL_CLI } from '../../src/testing/temporal-binaries';
import { temporal } from '@temporalio/proto';
import {
  composeServerVersion,
  installTemporalServer,
  type TemporalServerBinaries,
} from '../../scripts/install-temporal-server';
import {
  awaitResults,
  FAST_POLL,
  ROOT,
  sleep,
  startWorkerProcess,
  unique,
  type Child,
  type PlannedOperation,
} from '../faults/support';
import {
  composeSetting,
  psql,
  runSetup,
  setupEnv,
  startPostgres,
  temporalServer,
  type Postgres,
  type TemporalServer,
} from './support';

const SERVICE = 'alloydb.googleapis.com';
const API = `https://${SERVICE}/v1beta`;
/** How long after its first cancel a scripted operation finishes: long enough to straddle the server's restart. */
const SETTLES_AFTER_MS = 8_000;

let binaries: TemporalServerBinaries;
let postgres: Postgres;
let server: TemporalServer;
let emulator: GoogleEmulator;
let connection: Connection;
let client: Client;
let worker: Child;
const taskQueue = unique('tq-pg');
const setupOutput: Record<string, string> = {};
const schemaVersions: string[][] = [];
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  // A no-op once built: the first run builds the server (minutes), which `npm run test:postgres` does before jest.
  binaries = installTemporalServer(ROOT, (line) => process.stderr.write(`${line}\n`));
  emulator = await GoogleEmulator.start();
  cleanups.push(() => emulator.close());
  postgres = await startPostgres();
  cleanups.push(() => postgres.stop());

  // docker-compose.yml's temporal-schema job, twice: at the second `up` there is nothing left to do.
  const env = setupEnv(postgres, binaries);
  setupOutput['schema'] = await runSetup('schema', env);
  schemaVersions.push(readSchemaVersions());
  setupOutput['schema again'] = await runSetup('schema', env);
  schemaVersions.push(readSchemaVersions());

  server = await temporalServer(postgres, binaries);
  cleanups.push(() => server.stop('SIGTERM'));
  await server.start();

  // The temporal-namespace job, with the retention docker-compose.yml gives it, twice as well.
  const cli = findTemporalBinary(TEMPORAL_CLI);
  if (!cli) throw new Error('the Temporal CLI is not installed (npm run temporal:install)');
  const namespaceEnv = {
    ...env,
    TEMPORAL_CLI: cli,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: composeSetting('temporal-namespace', 'TEMPORAL_NAMESPACE'),
    TEMPORAL_NAMESPACE_RETENTION: composeSetting('temporal-namespace', 'TEMPORAL_NAMESPACE_RETENTION'),
  };
  setupOutput['namespace'] = await runSetup('namespace', namespaceEnv);
  setupOutput['namespace again'] = await runSetup('namespace', namespaceEnv);

  connection = await Connection.connect({ address: server.address });
  cleanups.push(() => connection.close());
  client = new Client({ connection, namespace: 'default' });
  // The search attributes are the setup job's alone: this worker does not register any.
  worker = await startWorkerProcess({
    temporalAddress: server.address,
    taskQueue,
    emulator,
    env: { LRO_SKIP_SEARCH_ATTRIBUTE_REGISTRATION: '1' },
  });
  cleanups.push(() => worker.stop('SIGTERM'));
}, 20 * 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

function readSchemaVersions(): string[] {
  return ['temporal', 'temporal_visibility'].map((database) =>
    psql(postgres, database, 'SELECT curr_version FROM schema_version'),
  );
}

test('one server version: the compose file, the binaries built here, and the dev server the other tests run', () => {
  expect(binaries.version).toBe(composeServerVersion(ROOT));
  for (const binary of [binaries.server, binaries.sql]) {
    expect(execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim()).toMatch(
      new RegExp(` ${binaries.version.replace(/\./g, '\\.')}$`),
    );
  }
  const cli = findTemporalBinary(TEMPORAL_CLI) as string;
  const devServer = /\(Server (\d+\.\d+\.\d+)[,)]/.exec(execFileSync(cli, ['--version'], { encoding: 'utf8' }))?.[1];
  expect(devServer).toBe(binaries.version);
});

test('the dynamic config is valid for this server version and limits IDs to 255 characters', () => {
  const file = join(ROOT, 'deploy', 'dynamicconfig', 'postgresql.yaml');
  // The server's own check prints the file name, then one line per unknown key or bad value.
  expect(execFileSync(binaries.server, ['validate-dynamic-config', file], { encoding: 'utf8' }).trim()).toBe(file);
  expect(readFileSync(file, 'utf8')).toMatch(/^limit\.maxIDLength:\n {2}- value: 255\n/m);
});

test('setup: the schemas at the server version, unchanged by a second run; the namespace; Lro* as Keyword', async () => {
  const [first, second] = schemaVersions;
  expect(first).toEqual([expect.stringMatching(/^\d+\.\d+$/), expect.stringMatching(/^\d+\.\d+$/)]);
  expect(second).toEqual(first);
  expect(setupOutput['schema again']).not.toMatch(/Schema updated from/);
  // The server started on them, and it checks the schema versions it needs at start-up.
  expect(server.process().hasExited()).toBe(false);

  const { config } = await connection.workflowService.describeNamespace({ namespace: 'default' });
  expect(Number(config?.workflowExecutionRetentionTtl?.seconds)).toBe(
    msToNumber(composeSetting('temporal-namespace', 'TEMPORAL_NAMESPACE_RETENTION') as Duration) / 1000,
  );
  expect(setupOutput['namespace again']).toContain('namespace default exists');

  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
  for (const key of LRO_SEARCH_ATTRIBUTES) {
    expect({ [key.name]: customAttributes?.[key.name] }).toEqual({
      [key.name]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    });
  }
});

test(
  'cancellers of every outcome, one on a 900-character URL, and a bulk cancel finish through a SIGKILL of the server',
  async () => {
    const parent = `projects/${unique('pg')}/locations/us-central1`;
    const serve = (id: string, script: Partial<ScriptedOperation> = {}): string => {
      const name = `${parent}/operations/${id}`;
      emulator.addOperation({ name, apiVersion: 'v1beta', service: SERVICE, ...script });
      return name;
    };
    const settles = (to: NonNullable<ScriptedOperation['initial']>): Partial<ScriptedOperation> => ({
      afterCancel: { to, afterMs: SETTLES_AFTER_MS },
    });
    // The longest operation URL the package accepts: its workflow ID and LroOperation must still fit in 255.
    const longName = `${parent}/operations/long-`;
    const longId = `long-${'x'.repeat(MAX_OPERATION_LENGTH - `${API}/${longName}`.length)}`;

    const scripted: { name: string; expected: Outcome | 'ERROR'; polled: boolean; timeout?: Duration }[] = [
      { name: serve('cancelled', settles({ kind: 'cancelled' })), expected: 'CANCELLED', polled: true },
      { name: serve(longId, settles({ kind: 'cancelled' })), expected: 'CANCELLED', polled: true },
      { name: serve('completed', settles({ kind: 'succeeded' })), expected: 'COMPLETED', polled: true },
      {
        name: serve('failed', settles({ kind: 'failed', error: { code: 13, message: 'disk full' } })),
        expected: 'FAILED',
        polled: true,
      },
      { name: serve('unimplemented', { onCancel: 'unimplemented' }), expected: 'UNIMPLEMENTED', polled: false },
      {
        name: serve('not-cancellable', { onCancel: 'failed-precondition', cancelFlag: 'none' }),
        expected: 'NOT_CANCELLABLE',
        polled: false,
      },
      { name: serve('permission-denied', { onCancel: 'permission-denied' }), expected: 'ERROR', polled: false },
      // Still running at its deadline, which falls after the restart.
      {
        name: serve('timed-out', { afterCancel: { to: { kind: 'running' } } }),
        expected: 'TIMED_OUT',
        polled: true,
        timeout: '40s',
      },
      // Never there: GET and cancel both answer NOT_FOUND until the grace period ends.
      { name: `${parent}/operations/missing`, expected: 'NOT_FOUND', polled: false },
    ];
    const planned: (PlannedOperation & { polled: boolean })[] = scripted.map((op) => ({
      ...op,
      url: `${API}/${op.name}`,
    }));
    const longUrl = `${API}/${parent}/operations/${longId}`;
    expect(longUrl).toHaveLength(MAX_OPERATION_LENGTH);

    const handles = new Map<string, WorkflowHandle>();
    for (const op of planned) {
      const timeout = scripted.find((s) => s.name === op.name)?.timeout;
      const handle = await startCancel(
        client,
        { operation: op.url, poll: FAST_POLL, notFoundGracePeriod: '4s', ...(timeout ? { timeout } : {}) },
        { taskQueue },
      );
      op.workflowId = handle.workflowId;
      handles.set(op.name, handle);
    }
    // The batch has a 900-character operation of its own.
    const bulkLongId = `bulk-${longId}`.slice(0, longId.length);
    const bulkNames = [
      serve('bulk-0', settles({ kind: 'cancelled' })),
      serve(bulkLongId, settles({ kind: 'cancelled' })),
      serve('bulk-2', settles({ kind: 'succeeded' })),
    ];
    expect(`${API}/${bulkNames[1]}`).toHaveLength(MAX_OPERATION_LENGTH);
    const bulk = await startCancelAll(
      client,
      { operations: bulkNames.map((name) => `${API}/${name}`), cancelsPerSecond: 100 },
      { taskQueue },
    );

    // Mid-flight: every cancel sent, the cancellers polling, and no scripted operation finished yet.
    const polled = planned.filter((op) => op.polled).map((op) => op.name);
    await eventuallyTrue(
      'every cancel sent and every canceller polling',
      () =>
        [...planned.map((op) => op.name), ...bulkNames].every(
          (name) => emulator.count({ route: 'cancel', name }) >= 1,
        ) && polled.every((name) => emulator.count({ route: 'get', name }) >= 1),
    );
    expect([...polled, ...bulkNames].filter((name) => emulator.operation(name)?.['done'] === true)).toEqual([]);
    const killedAt = Date.now();
    await server.stop('SIGKILL');
    await sleep(3_000);
    await server.start();
    const restartedAt = Date.now();

    const results = await awaitResults(client, planned, 120_000);
    expect({ wrong: results.wrong, stuck: results.stuck }).toEqual({ wrong: [], stuck: [] });
    const bulkResult = (await bulk.result()) as CancelOperationsResult;
    expect(bulkResult).toMatchObject({ outcome: 'MIXED', total: 3 });
    expect(bulkResult.counts).toMatchObject({ CANCELLED: 2, COMPLETED: 1 });
    expect(worker.hasExited()).toBe(false);

    // The restart as PostgreSQL saw it: each of the server's four services joined the cluster twice, once per start.
    const sessions = psql(
      postgres,
      'temporal',
      'SELECT count(DISTINCT host_id) FROM cluster_membership GROUP BY role ORDER BY role',
    ).split('\n');
    expect(sessions).toEqual(['2', '2', '2', '2']);
    // And it landed while the cancellers polled: each polled before the kill and again after the restart.
    for (const name of polled) {
      const gets = emulator.requests.filter((r) => r.route === 'get' && r.name === name).map((r) => r.at);
      expect({ name, before: gets.some((at) => at < killedAt), after: gets.some((at) => at > restartedAt) }).toEqual({
        name,
        before: true,
        after: true,
      });
    }

    for (const op of planned) {
      const handle = handles.get(op.name) as WorkflowHandle;
      expect(handle.workflowId).toBe(cancelWorkflowId(op.url));
      expect(handle.workflowId.length).toBeLessThanOrEqual(MAX_ID_LENGTH);
      if (op.expected === 'ERROR') {
        await expect(handle.result()).rejects.toThrow();
      } else {
        const result = (await handle.result()) as { outcome: Outcome; operation: string };
        expect(result).toMatchObject({ outcome: op.expected, operation: op.url });
      }
      const { searchAttributes, memo } = await handle.describe();
      expect(searchAttributes[LRO_OUTCOME.name]).toEqual([op.expected]);
      expect(searchAttributes[LRO_SERVICE.name]).toEqual([SERVICE]);
      // The URL itself up to 255 characters, else its head and digest: what VARCHAR(255) holds.
      const [recorded] = searchAttributes[LRO_OPERATION.name] as string[];
      expect(recorded?.length).toBeLessThanOrEqual(MAX_ID_LENGTH);
      expect(recorded).toBe(operationSearchValue(op.url));
      // The full URL stays in the memo, however long.
      expect(memo?.['summary']).toEqual(expect.stringMatching(new RegExp(`^${op.expected}: .*${escape(op.url)}`)));
    }
    const bulkAttributes = (await bulk.describe()).searchAttributes;
    expect(bulkAttributes[LRO_OUTCOME.name]).toEqual(['MIXED']);

    // Found again through PostgreSQL's visibility store, which keeps IDs and Keyword values in VARCHAR(255).
    const expectedCounts = new Map<string, number>();
    for (const op of planned) expectedCounts.set(op.expected, (expectedCounts.get(op.expected) ?? 0) + 1);
    const ours = `WorkflowType = "cancelOperation" AND TaskQueue = "${taskQueue}"`;
    for (const [outcome, count] of [...expectedCounts, ['PENDING', 0] as const]) {
      expect({
        outcome,
        count: await eventuallyEqual(() => countOf(`${ours} AND LroOutcome = "${outcome}"`), count),
      }).toEqual({ outcome, count });
    }
    for (const op of planned) {
      expect({
        op: op.name,
        count: await eventuallyEqual(() => countOf(`WorkflowId = "${op.workflowId}"`), 1),
      }).toEqual({ op: op.name, count: 1 });
    }
    for (const url of [(planned[0] as PlannedOperation).url, longUrl]) {
      expect({ url, count: await countOf(`LroOperation = "${operationSearchValue(url)}"`) }).toEqual({ url, count: 1 });
    }
    expect(await eventuallyEqual(() => countOf(`WorkflowId = "${bulk.workflowId}" AND LroOutcome = "MIXED"`), 1)).toBe(
      1,
    );
  },
  5 * 60_000,
);

test('a workflow ID of 255 characters is stored; one of 256 is refused by the frontend before PostgreSQL sees it', async () => {
  const name = `projects/${unique('pg-id')}/locations/us-central1/operations/op`;
  emulator.addOperation({ name, apiVersion: 'v1beta', service: SERVICE });
  const input = { operation: `${API}/${name}`, poll: FAST_POLL };
  const fits = await startCancel(client, input, { taskQueue, workflowId: 'i'.repeat(MAX_ID_LENGTH) });
  expect((await fits.result()).outcome).toBe('CANCELLED');
  const refused = await startCancel(client, input, { taskQueue, workflowId: 'i'.repeat(MAX_ID_LENGTH + 1) }).catch(
    (err: unknown) => err,
  );
  // INVALID_ARGUMENT from the frontend, naming the limit. Without it the ID reaches PostgreSQL, which refuses it
  // ("value too long for type character varying(255)"): UNAVAILABLE, after 30 s of the client's retries.
  expect((refused as Error).cause).toMatchObject({
    code: 3,
    details: `WorkflowId exceeds maximum allowed length (${MAX_ID_LENGTH + 1}/${MAX_ID_LENGTH})`,
  });
});

async function countOf(query: string): Promise<number> {
  return (await client.workflow.count(query)).count;
}

/** Visibility is written after the fact: reads until `read` answers `expected`, for 20 s at most. */
async function eventuallyEqual(read: () => Promise<number>, expected: number): Promise<number> {
  const end = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (value === expected || Date.now() > end) return value;
    await sleep(200);
  }
}

async function eventuallyTrue(what: string, done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
