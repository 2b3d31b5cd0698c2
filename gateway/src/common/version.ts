import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Berth's version, from gateway/package.json (the same relative place from src/common and
 * dist/common): one source for /api/status, `berth --version` and the label stamped on images.
 */
export const BERTH_VERSION: string = (
  JSON.parse(readFileSync(resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }
).version;
