import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ENTRYPOINT_NAME, R_BRIDGE_NAME, TEMPLATE_NAMES, type ImageTemplates } from './dockerfile';

/** images/ at the repository root (same relative place from gateway/src/images and gateway/dist/images). */
export const DEFAULT_IMAGES_DIR = resolve(__dirname, '..', '..', '..', 'images');

/** Reads the Dockerfile templates, the kernel entrypoint and the R control bridge from `dir`. */
export function loadImageTemplates(dir: string = DEFAULT_IMAGES_DIR): ImageTemplates {
  const names = [...TEMPLATE_NAMES, ENTRYPOINT_NAME, R_BRIDGE_NAME];
  return Object.fromEntries(names.map((name) => [name, readFileSync(join(dir, name), 'utf8')])) as ImageTemplates;
}
