// The federated host's JupyterLab: the same core as the bundled app, plus the plugins of every
// prebuilt extension bootstrap.js joined, taken from their containers as JupyterLab does
// (`./extension` for the plugins, `./style` for the CSS).
import { JupyterLab } from '@jupyterlab/application';
import { loadCorePlugins, pluginsOf } from '../shared/core-extensions.mjs';

/** A module exposed by a prebuilt extension's container. */
async function exposed(name, module) {
  const factory = await window._JUPYTERLAB[name].get(module);
  return factory();
}

export async function main(federated) {
  await import('./build/style.js');
  const core = await loadCorePlugins();
  const prebuilt = [];
  for (const extension of federated) {
    if (extension.style) await exposed(extension.name, extension.style);
    if (extension.extension) prebuilt.push(...pluginsOf(await exposed(extension.name, extension.extension)));
  }
  const lab = new JupyterLab({ mimeExtensions: [] });
  lab.registerPlugins([...core, ...prebuilt]);
  await lab.start();
  await lab.restored;
  window.jupyterapp = lab;
}
