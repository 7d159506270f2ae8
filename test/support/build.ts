/** Compiles the package to `dist/` once per test file, for tests that run the built binaries as processes. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** The repository root. */
export const ROOT = join(__dirname, '..', '..');

/**
 * Builds as `npm run build` does: `tsc -p tsconfig.build.json`, then the workflow bundle; rejects with the output of
 * the step that failed.
 */
export async function buildDist(): Promise<void> {
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
