#!/usr/bin/env node
// Writes build/core-meta/package.json, the "core" description build-labextension needs
// (--core-path). JupyterLab's Python package ships one (jupyterlab/staging); this project has no
// Python JupyterLab, so it is generated from what npm installed: every package JupyterLab shares
// as a singleton, each with "~<installed version>", so the built extension asks the host for
// exactly the JupyterLab 4.5.10 line it was compiled against.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MODULES = join(ROOT, 'node_modules');
const OUT = join(ROOT, 'build', 'core-meta');

/** Shared outside the @jupyterlab and @lumino scopes (as JupyterLab's own singleton list). */
const OTHER_SINGLETONS = [
  '@codemirror/language',
  '@codemirror/state',
  '@codemirror/view',
  '@jupyter/react-components',
  '@jupyter/web-components',
  '@jupyter/ydoc',
  '@lezer/common',
  '@lezer/highlight',
  '@microsoft/fast-element',
  '@microsoft/fast-foundation',
  'react',
  'react-dom',
  'yjs',
];

function installedVersion(name) {
  const file = join(MODULES, name, 'package.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : undefined;
}

function scope(name) {
  const dir = join(MODULES, name);
  return existsSync(dir) ? readdirSync(dir).map((entry) => `${name}/${entry}`) : [];
}

// Libraries, not plugins: *-extension packages are never imported by other extensions, and the
// builder is a build tool.
const candidates = [
  ...scope('@jupyterlab').filter((name) => !name.endsWith('-extension') && name !== '@jupyterlab/builder'),
  ...scope('@lumino'),
  ...OTHER_SINGLETONS,
];

const resolutions = {};
for (const name of candidates.sort()) {
  const version = installedVersion(name);
  if (version) resolutions[name] = `~${version}`;
}
const singletonPackages = Object.keys(resolutions);
if (!resolutions['@jupyterlab/application']) {
  console.error('gen-core-meta: @jupyterlab/application is not installed; run npm ci in labextension/ first');
  process.exit(1);
}

mkdirSync(OUT, { recursive: true });
const meta = {
  name: '@berth/core-meta',
  version: installedVersion('@jupyterlab/application'),
  private: true,
  dependencies: resolutions,
  resolutions,
  jupyterlab: { singletonPackages },
};
// Rewritten only when it changes: the e2e federated host (e2e/build.mjs) rebuilds when it is newer.
const file = join(OUT, 'package.json');
const text = `${JSON.stringify(meta, null, 2)}\n`;
const unchanged = existsSync(file) && readFileSync(file, 'utf8') === text;
if (!unchanged) writeFileSync(file, text);
console.log(
  `gen-core-meta: ${singletonPackages.length} shared singletons (JupyterLab ${meta.version}) → ${join('build', 'core-meta', 'package.json')}${unchanged ? ' (unchanged)' : ''}`,
);
