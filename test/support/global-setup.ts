/**
 * Jest's global setup: `dist/` is built once, before any test file runs, not by each file that runs the built
 * binaries (a build takes 10 to 15 s), and never under another file's processes while they load it.
 */
import { buildDist, DIST_BUILT_ENV } from './build';

export default async function globalSetup(): Promise<void> {
  await buildDist();
  // Read by the test files' processes, which start after this.
  process.env[DIST_BUILT_ENV] = '1';
}
