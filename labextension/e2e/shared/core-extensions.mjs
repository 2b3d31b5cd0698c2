// The JupyterLab 4.5 core of both test front ends (app/ bundles Berth's plugins with it,
// federated/ loads the prebuilt extension on top of it). One list for the webpack configs
// (CORE_EXTENSIONS: schemas, styles and themes by package name) and the browser
// (loadCorePlugins: the same packages, imported by literal name so webpack bundles them).
//
// A reduced JupyterLab: what a notebook, the file browser, the menus, the status bar, the left
// sidebar and dialogs need, in the light or the dark theme. Document search, the table of
// contents and the metadata form are left out, so notebook-extension's plugins for them are
// skipped (SKIPPED_PLUGIN), as is its language server plugin (no LSP server extension on
// Debian's jupyter_server 1.23).

export const CORE_EXTENSIONS = [
  '@jupyterlab/application-extension',
  '@jupyterlab/apputils-extension',
  '@jupyterlab/codemirror-extension',
  '@jupyterlab/completer-extension',
  '@jupyterlab/docmanager-extension',
  '@jupyterlab/filebrowser-extension',
  '@jupyterlab/launcher-extension',
  '@jupyterlab/mainmenu-extension',
  '@jupyterlab/notebook-extension',
  '@jupyterlab/rendermime-extension',
  '@jupyterlab/running-extension',
  '@jupyterlab/shortcuts-extension',
  '@jupyterlab/statusbar-extension',
  '@jupyterlab/theme-dark-extension',
  '@jupyterlab/theme-light-extension',
  '@jupyterlab/translation-extension',
  '@jupyterlab/ui-components-extension',
];

/** Plugins whose required services or server side this reduced JupyterLab does not have. */
const SKIPPED_PLUGIN = /^@jupyterlab\/notebook-extension:(language-server|search|toc|update-raw-mimetype)$/;

/** A module's plugins: its default export (one plugin or a list), or the module itself. */
export function pluginsOf(module) {
  const exported = module && typeof module === 'object' && 'default' in module ? module.default : module;
  const list = Array.isArray(exported) ? exported : [exported];
  return list.filter((plugin) => plugin && typeof plugin.id === 'string' && !SKIPPED_PLUGIN.test(plugin.id));
}

/** Every core plugin, loaded (each package is its own chunk). */
export async function loadCorePlugins() {
  const modules = await Promise.all([
    import('@jupyterlab/application-extension'),
    import('@jupyterlab/apputils-extension'),
    import('@jupyterlab/codemirror-extension'),
    import('@jupyterlab/completer-extension'),
    import('@jupyterlab/docmanager-extension'),
    import('@jupyterlab/filebrowser-extension'),
    import('@jupyterlab/launcher-extension'),
    import('@jupyterlab/mainmenu-extension'),
    import('@jupyterlab/notebook-extension'),
    import('@jupyterlab/rendermime-extension'),
    import('@jupyterlab/running-extension'),
    import('@jupyterlab/shortcuts-extension'),
    import('@jupyterlab/statusbar-extension'),
    import('@jupyterlab/theme-dark-extension'),
    import('@jupyterlab/theme-light-extension'),
    import('@jupyterlab/translation-extension'),
    import('@jupyterlab/ui-components-extension'),
  ]);
  if (modules.length !== CORE_EXTENSIONS.length) throw new Error('core-extensions.mjs: the import list and CORE_EXTENSIONS differ');
  return modules.flatMap(pluginsOf);
}
