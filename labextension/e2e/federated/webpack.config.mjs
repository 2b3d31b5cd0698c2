// webpack configuration of the federated host (e2e/build.mjs runs it): JupyterLab's core as a
// module federation container named as JupyterLab names its own (CORE_FEDERATION, library
// window._JUPYTERLAB.CORE_LIBRARY_FEDERATION), sharing exactly the packages the prebuilt
// extension was built to take from its host: build/core-meta/package.json, the file
// scripts/gen-core-meta.mjs writes for build-labextension --core-path.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { frontEndConfigs } from '../shared/front-end-config.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const PACKAGE = resolve(HERE, '..', '..');
export const OUTPUT = join(HERE, 'build');
export const CORE_META = join(PACKAGE, 'build', 'core-meta', 'package.json');

/** ModuleFederationPlugin's `shared`: every core package at its installed line, singletons marked. */
export function sharedPackages() {
  const meta = JSON.parse(readFileSync(CORE_META, 'utf8'));
  const singletons = new Set(meta.jupyterlab.singletonPackages);
  const shared = {};
  for (const [name, requiredVersion] of Object.entries(meta.resolutions)) {
    shared[name] = { requiredVersion, singleton: singletons.has(name) };
  }
  return shared;
}

export function federatedConfigs() {
  // Only the core's schemas, style.js and themes: the prebuilt extension brings its own (the server
  // finds its schemas in its labextensions folder).
  return frontEndConfigs({
    context: HERE,
    entry: 'bootstrap.js',
    output: OUTPUT,
    customize: (_base, webpack) => ({
      plugins: [
        new webpack.container.ModuleFederationPlugin({
          name: 'CORE_FEDERATION',
          library: { type: 'var', name: ['_JUPYTERLAB', 'CORE_LIBRARY_FEDERATION'] },
          shared: sharedPackages(),
        }),
      ],
    }),
  });
}
