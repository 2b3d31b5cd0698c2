import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { CodeEnv } from '../execution/code-env';
import { renderCodeEnvImage, type BuildInputs, type ImageTemplates, type SourceFile } from './dockerfile';

/**
 * The I/O half of rendering a code env's image: reads its local wheelhouse folders and its
 * resources folder (paths relative to the config directory) and hands them to the pure renderer.
 */

/** Every file under `folder`, relative paths with "/" separators, in a stable order. */
export function filesUnder(folder: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        out.push({ path: relative(folder, path).split('\\').join('/'), content: readFileSync(path), mode: statSync(path).mode & 0o777 });
      }
    }
  };
  walk(folder);
  return out;
}

const isUrl = (link: string): boolean => /^https?:\/\//.test(link);
const isDistribution = (file: SourceFile): boolean => !file.path.includes('/') && /\.(whl|tar\.gz|zip)$/.test(file.path);

/** The build inputs of `codeEnv` on `parent`: local find-links folders become the image's wheelhouse. */
export function codeEnvInputs(configDir: string, templates: ImageTemplates, codeEnv: CodeEnv, parent: string): BuildInputs {
  const localLinks = codeEnv.packages.pip.findLinks.filter((link) => !isUrl(link));
  let env = codeEnv;
  let wheelhouse: SourceFile[] | undefined;
  if (localLinks.length > 0) {
    wheelhouse = localLinks.flatMap((link) => filesUnder(resolve(configDir, link)).filter(isDistribution));
    env = { ...codeEnv, packages: { ...codeEnv.packages, pip: { ...codeEnv.packages.pip, findLinks: [] } } };
  }
  const resourceFiles = codeEnv.resources.mode === 'copy' ? filesUnder(resolve(configDir, codeEnv.resources.path)) : undefined;
  return renderCodeEnvImage(templates, env, {
    parent,
    ...(wheelhouse === undefined ? {} : { wheelhouse }),
    ...(resourceFiles === undefined ? {} : { resourceFiles }),
  });
}
