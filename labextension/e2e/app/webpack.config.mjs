// webpack configuration of the bundled test front end (e2e/build.mjs runs it): index.js with
// the core extensions and Berth's plugins in one bundle (shared/front-end-config.mjs).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { frontEndConfigs } from '../shared/front-end-config.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const PACKAGE = resolve(HERE, '..', '..');
export const OUTPUT = join(HERE, 'build');

/** The main bundle's configuration and the theme configurations, as an array for webpack(). */
export function appConfigs() {
  return frontEndConfigs({
    context: HERE,
    entry: 'index.js',
    output: OUTPUT,
    // Berth's extension is this package itself, not an installed dependency: given by path.
    packagePaths: [PACKAGE],
    customize: (base) => ({
      resolve: {
        ...base.resolve,
        // `import('berth-labextension')` (index.js) and the style.js line for it resolve to this package.
        alias: { 'berth-labextension': PACKAGE },
      },
    }),
  });
}
