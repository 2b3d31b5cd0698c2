// webpack configuration of the bundled test front end (e2e/build.mjs runs it): index.js with
// the core extensions and Berth's plugins in one bundle, plus the theme CSS Build.ensureAssets
// asks for. Rules, fallbacks and `process` come from @jupyterlab/builder's base configuration,
// the one every JupyterLab build uses.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_EXTENSIONS } from '../shared/core-extensions.mjs';

const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));
export const PACKAGE = resolve(HERE, '..', '..');
export const OUTPUT = join(HERE, 'build');

/** The main bundle's configuration and the theme configurations, as an array for webpack(). */
export function appConfigs() {
  const webpack = require('webpack');
  const { Build } = require('@jupyterlab/builder');
  const base = require('@jupyterlab/builder/lib/webpack.config.base');
  // Copies every package's schemas to build/schemas/<name>/, writes build/style.js (their CSS),
  // and returns one small config per theme package (build/themes/<name>/index.css).
  const themes = Build.ensureAssets({
    packageNames: CORE_EXTENSIONS,
    // Berth's extension is this package itself, not an installed dependency: given by path.
    packagePaths: [PACKAGE],
    output: OUTPUT,
  });
  const main = {
    ...base,
    mode: 'development',
    devtool: false,
    bail: true,
    context: HERE,
    entry: { bundle: join(HERE, 'index.js') },
    output: {
      ...base.output,
      path: OUTPUT,
      filename: '[name].js',
      chunkFilename: '[name].[contenthash].js',
      clean: false,
    },
    resolve: {
      ...base.resolve,
      // `import('berth-labextension')` (index.js) and the style.js line for it resolve to this package.
      alias: { 'berth-labextension': PACKAGE },
    },
    plugins: [...base.plugins, new webpack.DefinePlugin({ 'process.env.NODE_ENV': JSON.stringify('development') })],
    performance: { hints: false },
    infrastructureLogging: { level: 'warn' },
    stats: 'errors-warnings',
  };
  return [main, ...themes];
}
