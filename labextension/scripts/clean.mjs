#!/usr/bin/env node
// Removes what the build and the tests write (node_modules stays).
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
for (const entry of ['lib', 'labextension', 'build', '.test-results', 'tsconfig.tsbuildinfo', 'e2e/app/build', 'e2e/federated/build']) {
  rmSync(join(PACKAGE, entry), { recursive: true, force: true });
}
