// Entry of the federated host: the part of JupyterLab's own bootstrap that makes prebuilt
// extensions work. Before anything shared is loaded, each prebuilt extension's remoteEntry
// script (listed by the server in the page config's federated_extensions) is loaded and
// joined to this page's share scope; then main.js starts JupyterLab. Nothing here may import a
// shared package statically (webpack: "Shared module is not available for eager consumption").

/** The page config the server rendered (PageConfig itself is in a shared package). */
function pageConfig() {
  const element = document.getElementById('jupyter-config-data');
  return element ? JSON.parse(element.textContent || '{}') : {};
}

const config = pageConfig();
// eslint-disable-next-line no-undef
__webpack_public_path__ = `${config.fullStaticUrl}/`;

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = url;
    script.async = true;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`could not load ${url}`));
    document.head.appendChild(script);
  });
}

/** Loads one prebuilt extension's container and gives it this page's shared modules. */
async function joinFederated(extension) {
  const base = String(config.fullLabextensionsUrl || '').replace(/\/$/, '');
  await loadScript(`${base}/${extension.name}/${extension.load}`);
  const container = window._JUPYTERLAB && window._JUPYTERLAB[extension.name];
  if (!container) throw new Error(`${extension.name}: its remoteEntry defined no container`);
  // eslint-disable-next-line no-undef
  await container.init(__webpack_share_scopes__.default);
}

async function bootstrap() {
  const federated = Array.isArray(config.federated_extensions) ? config.federated_extensions : [];
  // eslint-disable-next-line no-undef
  await __webpack_init_sharing__('default');
  const joined = [];
  const failed = [];
  for (const extension of federated) {
    try {
      await joinFederated(extension);
      joined.push(extension);
    } catch (error) {
      console.error(`Prebuilt extension ${extension.name} did not load`, error);
      failed.push({ name: extension.name, error: String(error) });
    }
  }
  window.federatedExtensions = { joined: joined.map((extension) => extension.name), failed };
  const { main } = await import('./main.js');
  await main(joined);
}

window.addEventListener('load', () => {
  bootstrap().catch((error) => {
    console.error('The federated test front end did not start', error);
    document.body.dataset.startError = String(error && error.stack ? error.stack : error);
  });
});
