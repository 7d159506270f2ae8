/**
 * The workflows, bundled once at build time (Temporal's recommended production set-up): a worker that finds the
 * bundle loads it instead of running webpack at every start, which takes seconds of CPU and ~170 MB.
 *
 *   node dist/src/temporal/workflow-bundle.js     (run by `npm run build`)
 */
import { existsSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

/** The package's workflows, as a worker bundles them (source under ts-jest, `dist/` when built). */
export const WORKFLOWS_PATH = require.resolve('../../workflows');

/** Where the build writes the bundle: `dist/workflow-bundle.js` beside the compiled package. */
export const PREBUILT_BUNDLE_PATH = join(__dirname, '..', '..', 'workflow-bundle.js');

/**
 * The bundle the build wrote, if this copy of the package has one (a built one; not sources under ts-jest) and it
 * is not older than the workflow code beside it (a `tsc` run alone after a build leaves a stale one).
 */
export function prebuiltWorkflowBundle(): { codePath: string } | undefined {
  if (!existsSync(PREBUILT_BUNDLE_PATH)) return undefined;
  const built = statSync(PREBUILT_BUNDLE_PATH).mtimeMs;
  const root = join(__dirname, '..', '..');
  const newest = Math.max(...[join(root, 'workflows'), join(root, 'src', 'domain')].map(newestFile));
  return built >= newest ? { codePath: PREBUILT_BUNDLE_PATH } : undefined;
}

/** The newest modification time of the files in `dir` (0 when there is none). */
function newestFile(dir: string): number {
  if (!existsSync(dir)) return 0;
  return Math.max(0, ...readdirSync(dir).map((file) => statSync(join(dir, file)).mtimeMs));
}

/** Bundles the workflows and writes the bundle to `path` (whole or not at all: a reader never sees half of it). */
export async function writeWorkflowBundle(path = PREBUILT_BUNDLE_PATH): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, code);
  renameSync(partial, path);
}

if (require.main === module) {
  writeWorkflowBundle().then(
    () => process.stdout.write(`bundled the workflows into ${PREBUILT_BUNDLE_PATH}\n`),
    (err: unknown) => {
      process.stderr.write(`bundling the workflows failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
