#!/usr/bin/env node
// The `temporal-gcp-lro` command: the compiled CLI (`npm run build` first when running from a checkout).
require('../dist/src/cli/main.js')
  .main()
  .catch(() => process.exit(1));
