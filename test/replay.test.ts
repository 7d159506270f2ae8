/**
 * Replay safety: every history committed under `test/histories/<release>/` (recorded by
 * `npm run histories:record`) replays on today's workflow code. A canceller may wait for days, so a change to
 * the commands a workflow issues must go behind `patched()`; this test is what catches one that does not.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
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

test('every committed history replays on the current workflow code', async () => {
  quietRuntime();
  const results: { name: string; error?: string }[] = [];
  const replays = Worker.runReplayHistories(
    { workflowBundle: await workflowBundle() },
    histories.map(({ release, file, path }) => ({
      // Under the ID it ran with: a bulk cancel derives its batches' IDs from its own.
      workflowId: recordedIds(release)[file] ?? `${release}/${file}`,
      history: historyFromJSON(JSON.parse(readFileSync(path, 'utf8'))),
    })),
  );
  for await (const { workflowId, error } of replays) {
    results.push(error ? { name: workflowId, error: String((error as Error).message ?? error) } : { name: workflowId });
  }
  expect(results.filter((r) => r.error)).toEqual([]);
  expect(results).toHaveLength(histories.length);
});
