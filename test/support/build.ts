/** Compiles the package to `dist/` once per test file, for tests that run the built binaries as processes. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** The repository root. */
export const ROOT = join(__dirname, '..', '..');

/** Set by the global setup once it has built `dist/` for this run. */
export const DIST_BUILT_ENV = 'LRO_TEST_DIST_BUILT';

/**
 * Builds as `npm run build` does: `tsc -p tsconfig.build.json`, then the workflow bundle; rejects with the output of
 * the step that failed. A no-op in a test file when the global setup built it for this run.
 */
export async function buildDist(): Promise<void> {
  if (process.env[DIST_BUILT_ENV] === '1') return;
  await step([join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
  await step([join(ROOT, 'dist', 'src', 'temporal', 'workflow-bundle.js')]);
}

function step(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: ROOT }, (error, stdout, stderr) =>
      error ? reject(new Error(`build failed:\n${stdout}${stderr}`)) : resolve(),
    );
  });
}
