// The bundled test front end: JupyterLab 4.5's core (../shared/core-extensions.mjs) plus Berth's
// plugins, compiled from labextension/lib into the same bundle, so both use one copy of every
// @jupyterlab and @lumino package (labextension/node_modules).
import { JupyterLab } from '@jupyterlab/application';
import { PageConfig } from '@jupyterlab/coreutils';
import { loadCorePlugins, pluginsOf } from '../shared/core-extensions.mjs';

// Chunks, fonts and images are served under the app's static URL, known only at run time.
// eslint-disable-next-line no-undef
__webpack_public_path__ = `${PageConfig.getOption('fullStaticUrl')}/`;

async function start() {
  // build/style.js is written by Build.ensureAssets (webpack.config.js): every package's CSS.
  await import('./build/style.js');
  const [core, berth] = await Promise.all([loadCorePlugins(), import('berth-labextension').then(pluginsOf)]);
  const lab = new JupyterLab({ mimeExtensions: [] });
  lab.registerPlugins([...core, ...berth]);
  await lab.start();
  await lab.restored;
  // The handle the tests evaluate against (the name JupyterLab's own galata uses).
  window.jupyterapp = lab;
}

window.addEventListener('load', () => {
  start().catch((error) => {
    console.error('The test front end did not start', error);
    document.body.dataset.startError = String(error && error.stack ? error.stack : error);
  });
});
