/**
 * Replay safety: every history committed under `test/histories/<release>/` (recorded by
 * `npm run histories:record`) replays on today's workflow code. A canceller may wait for days, so a change to
 * the commands a workflow issues must go behind `patched()`; this test is what catches one that does not.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, type ReplayWorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { tracingBundlerPlugin } from '../src/temporal/workflow-bundle';
import { quietRuntime, workflowBundle } from './support/harness';

const HISTORIES = join(__dirname, 'histories');

const histories = readdirSync(HISTORIES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((release) =>
    readdirSync(join(HISTORIES, release.name))
      .filter((file) => file.endsWith('.json') && file !== 'workflow-ids.json')
      .map((file) => ({ release: release.name, file, path: join(HISTORIES, release.name, file) })),
  );

function recordedIds(release: string): Record<string, string> {
  const path = join(HISTORIES, release, 'workflow-ids.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>) : {};
}

test('at least 15 histories are committed, of every workflow', () => {
  expect(histories.length).toBeGreaterThanOrEqual(15);
  const types = new Set(
    histories.map(({ path }) => {
      const json = JSON.parse(readFileSync(path, 'utf8')) as {
        events: { workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } } }[];
      };
      return json.events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
    }),
  );
  expect(types).toEqual(
    new Set([
      'cancelOperation',
      'awaitOperation',
      'parentCancels',
      'teardown',
      'cancelOperations',
      'cancelOperationsBatch',
    ]),
  );
});

/**
 * Replays every committed history on `workflowBundle`, resolving to the ones that did not replay. Traced and untraced
 * workers run the same task queue and hand cancellers to each other (AUTO_UPGRADE moves them across builds), so both
 * bundles must replay every history.
 */
async function replayAll(workflowBundle: WorkflowBundleWithSourceMap, plugins: ReplayWorkerOptions['plugins'] = []) {
  const results: { name: string; error?: string }[] = [];
  const replays = Worker.runReplayHistories(
    { workflowBundle, plugins },
    histories.map(({ release, file, path }) => ({
      // Under the ID it ran with: a bulk cancel derives its batches' IDs from its own.
      workflowId: recordedIds(release)[file] ?? `${release}/${file}`,
      history: historyFromJSON(JSON.parse(readFileSync(path, 'utf8'))),
    })),
  );
  for await (const { workflowId, error } of replays) {
    results.push(error ? { name: workflowId, error: String((error as Error).message ?? error) } : { name: workflowId });
  }
  return results;
}

test('every committed history replays on the current workflow code', async () => {
  quietRuntime();
  const results = await replayAll(await workflowBundle());
  expect(results.filter((r) => r.error)).toEqual([]);
  expect(results).toHaveLength(histories.length);
});

test('and on the same code bundled with the OpenTelemetry workflow interceptors, as traced workers run it', async () => {
  quietRuntime();
  const bundle = await workflowBundle({ traced: true });
  // The interceptors are in this bundle, and the plugin's sink beside it, as in a traced worker.
  expect(bundle.code).toContain('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');
  const results = await replayAll(bundle, [await tracingBundlerPlugin()]);
  expect(results.filter((r) => r.error)).toEqual([]);
  expect(results).toHaveLength(histories.length);
});
