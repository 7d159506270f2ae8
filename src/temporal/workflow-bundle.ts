/**
 * The workflows, bundled once at build time (Temporal's recommended production set-up): a worker that finds the
 * bundle loads it instead of running webpack at every start, which takes seconds of CPU and ~170 MB.
 *
 * Twice: plain, and with OpenTelemetry's workflow interceptors for traced workers. Workflow interceptors can only be
 * bundled in, and a traced worker should start as fast as any; an untraced one keeps a bundle without them (smaller,
 * and no interceptor on any workflow call).
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
 * Where the build writes the bundle with the workflow interceptors of `@temporalio/interceptors-opentelemetry`'s
 * `OpenTelemetryPlugin`, which traced workers load: `dist/workflow-bundle-otel.js`.
 */
export const PREBUILT_TRACED_BUNDLE_PATH = join(__dirname, '..', '..', 'workflow-bundle-otel.js');

/**
 * The bundle the build wrote, if this copy of the package has one (a built one; not sources under ts-jest) and it
 * is not older than the workflow code beside it (a `tsc` run alone after a build leaves a stale one).
 */
export function prebuiltWorkflowBundle(path: string = PREBUILT_BUNDLE_PATH): { codePath: string } | undefined {
  if (!existsSync(path)) return undefined;
  const built = statSync(path).mtimeMs;
  const root = join(__dirname, '..', '..');
  const newest = Math.max(...[join(root, 'workflows'), join(root, 'src', 'domain')].map(newestFile));
  return built >= newest ? { codePath: path } : undefined;
}

/** The newest modification time of the files in `dir` (0 when there is none). */
function newestFile(dir: string): number {
  if (!existsSync(dir)) return 0;
  return Math.max(0, ...readdirSync(dir).map((file) => statSync(join(dir, file)).mtimeMs));
}

/**
 * Bundles the workflows and writes the bundle to `path` (whole or not at all: a reader never sees half of it); with
 * `traced`, with the workflow interceptors `OpenTelemetryPlugin` adds when a worker bundles.
 */
export async function writeWorkflowBundle(path = PREBUILT_BUNDLE_PATH, { traced = false } = {}): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: new DefaultLogger('WARN'),
    ...(traced ? { plugins: [await tracingBundlerPlugin()] } : {}),
  });
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, code);
  renameSync(partial, path);
}

/**
 * The plugin itself, which adds its workflow interceptor modules to a bundle (in `bundleWorkflowCode`'s `plugins`);
 * its span processor and resource are only used by a worker's sink, so none are needed here.
 */
export async function tracingBundlerPlugin() {
  const [{ OpenTelemetryPlugin }, { NoopSpanProcessor }, { Resource }] = await Promise.all([
    import('@temporalio/interceptors-opentelemetry'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
  ]);
  return new OpenTelemetryPlugin({ resource: Resource.empty(), spanProcessor: new NoopSpanProcessor() });
}

async function writeBoth(): Promise<void> {
  // One after the other: each bundling takes a core and ~170 MB.
  await writeWorkflowBundle(PREBUILT_BUNDLE_PATH);
  await writeWorkflowBundle(PREBUILT_TRACED_BUNDLE_PATH, { traced: true });
}

if (require.main === module) {
  writeBoth().then(
    () =>
      process.stdout.write(`bundled the workflows into ${PREBUILT_BUNDLE_PATH} and ${PREBUILT_TRACED_BUNDLE_PATH}\n`),
    (err: unknown) => {
      process.stderr.write(`bundling the workflows failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
