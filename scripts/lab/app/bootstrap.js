/* global __webpack_init_sharing__, __webpack_share_scopes__ */
/**
 * Entry of the fancyflow JupyterLab host page (browser code, bundled by rspack).
 *
 * Loads every federated (prebuilt) extension the server lists before anything imports a shared
 * package, so that module federation can pick one copy of each shared module for everybody; then
 * starts the application (`./main.js`). Must not import anything itself: it runs before the share
 * scope exists. Follows the order of JupyterLab's own bootstrap.
 */

let configData = null;

/** Reads one option of the page config the server embedded in the page. */
function getOption(name) {
  if (configData === null) {
    const el = document.getElementById('jupyter-config-data');
    configData = el ? JSON.parse(el.textContent || '{}') : {};
  }
  return configData[name] || '';
}

// Chunks are served under the server's static URL, which is only known at run time.
// eslint-disable-next-line no-undef
__webpack_public_path__ = getOption('fullStaticUrl') + '/';

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.onerror = () => reject(new Error(`failed to load ${url}`));
    script.onload = resolve;
    script.async = true;
    document.head.appendChild(script);
    script.src = url;
  });
}

async function loadFederated(url, scope) {
  await loadScript(url);
  await __webpack_init_sharing__('default');
  const container = window._JUPYTERLAB[scope];
  // The container may provide shared modules and may need ours.
  await container.init(__webpack_share_scopes__.default);
}

void (async function bootstrap() {
  const federated = getOption('federated_extensions') || [];
  const base = getOption('fullLabextensionsUrl');
  const results = await Promise.allSettled(
    federated.map((data) => loadFederated(`${base}/${data.name}/${data.load}`, data.name)),
  );
  results.forEach((result) => {
    if (result.status === 'rejected') console.error(result.reason);
  });
  const { main } = await import('./main.js');
  if (document.readyState === 'complete') void main();
  else window.addEventListener('load', () => void main());
})();
