/**
 * Jest's global setup: `dist/` is built once, before any test file runs. Test files run two at a time, so a file
 * building it while another file's processes load it could hand them a half-written module.
 */
import { buildDist, DIST_BUILT_ENV } from './build';

export default async function globalSetup(): Promise<void> {
  await buildDist();
  // Read by the test files' processes, which start after this.
  process.env[DIST_BUILT_ENV] = '1';
}
