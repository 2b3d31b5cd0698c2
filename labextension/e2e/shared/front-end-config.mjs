// The webpack configuration both test front ends (app/ and federated/) share: @jupyterlab/builder's
// base (the rules, fallbacks and `process` every JupyterLab build uses) with one entry bundled in
// development mode into `output`, plus the theme configurations Build.ensureAssets returns (it also
// copies the schemas and writes style.js there). Each front end adds its own resolve and plugins.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CORE_EXTENSIONS } from './core-extensions.mjs';

const require = createRequire(import.meta.url);

/**
 * [main, ...themes] for webpack(). `entry` is the bundle's file in `context`; `packagePaths` are
 * extension packages given by path rather than installed; `customize(base, webpack)` returns the
 * front end's own `resolve` and extra `plugins`.
 */
export function frontEndConfigs({ context, entry, output, packagePaths = [], customize }) {
  const webpack = require('webpack');
  const { Build } = require('@jupyterlab/builder');
  const base = require('@jupyterlab/builder/lib/webpack.config.base');
  const themes = Build.ensureAssets({ packageNames: CORE_EXTENSIONS, packagePaths, output });
  const own = customize(base, webpack);
  const main = {
    ...base,
    mode: 'development',
    devtool: false,
    bail: true,
    context,
    entry: { bundle: join(context, entry) },
    output: { ...base.output, path: output, filename: '[name].js', chunkFilename: '[name].[contenthash].js', clean: false },
    resolve: own.resolve ?? base.resolve,
    plugins: [...base.plugins, new webpack.DefinePlugin({ 'process.env.NODE_ENV': JSON.stringify('development') }), ...(own.plugins ?? [])],
    performance: { hints: false },
    infrastructureLogging: { level: 'warn' },
    stats: 'errors-warnings',
  };
  return [main, ...themes];
}
