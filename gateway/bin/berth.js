#!/usr/bin/env node
'use strict';
// Entry point of the `berth` command: runs the compiled CLI (npm install / npm run build compile it).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const compiled = join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!existsSync(compiled)) {
  process.stderr.write('berth: the gateway is not built yet. Run `npm install` (or `npm run build`) in the repository root.\n');
  process.exit(1);
}
require(compiled).main(process.argv);
