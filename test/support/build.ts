/** Compiles the package to `dist/` once per test file, for tests that run the built binaries as processes. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** The repository root. */
export const ROOT = join(__dirname, '..', '..');

/** Runs `tsc -p tsconfig.build.json`; rejects with the compiler's output if it reports any error. */
export function buildDist(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      { cwd: ROOT },
      (error, stdout) => (error ? reject(new Error(`build failed:\n${stdout}`)) : resolve()),
    );
  });
}
