/** Compiles the package to `dist/` once per test file, for tests that run the built binaries as processes. */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
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
  if (process.env[DIST_BUILT_ENV] === '1' || builtFromCurrentSources()) return;
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

/** What `tsc -p tsconfig.build.json` compiles, and what configures it. */
const SOURCES = ['src', 'workflows', 'activities', 'bench', 'scripts'];
const CONFIGS = ['package.json', 'tsconfig.json', 'tsconfig.build.json'];

/**
 * Whether the build's last outputs (the two workflow bundles, written after `tsc`) are newer than every source and
 * config file: then `npm run build` ran since the last change (as CI's steps each do), and building again would
 * only take time.
 */
function builtFromCurrentSources(): boolean {
  const outputs = ['workflow-bundle.js', 'workflow-bundle-otel.js'].map((file) => join(ROOT, 'dist', file));
  if (!outputs.every((path) => existsSync(path))) return false;
  const built = Math.min(...outputs.map((path) => statSync(path).mtimeMs));
  const newest = Math.max(...CONFIGS.map((file) => statSync(join(ROOT, file)).mtimeMs), ...SOURCES.map(newestIn));
  return newest < built;
}

function newestIn(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}
