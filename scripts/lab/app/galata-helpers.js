/**
 * Galata's in-page helpers (`window.galata`, the `@jupyterlab/galata-extension:helpers` plugin),
 * loaded only when the server runs for browser tests (page config `fancyflowBrowserTest`).
 *
 * The same as `@jupyterlab/galata/lib/extension/index.js` minus its fonts plugin, which pulls in
 * `@jupyterlab/terminal` and three web-font packages that only matter for pixel-exact screenshots.
 */
import { Dialog, Notification } from '@jupyterlab/apputils';
import { GalataInpage } from '@jupyterlab/galata/lib/extension/global';
import { PLUGIN_ID_GALATA_HELPERS } from '@jupyterlab/galata/lib/extension/tokens';

window.galata = new GalataInpage();
window.galataip = window.galata;

const galataPlugin = {
  id: PLUGIN_ID_GALATA_HELPERS,
  description: 'Galata in-page extension helpers.',
  autoStart: true,
  activate: () => Object.freeze({ notifications: Notification.manager, dialogs: Dialog.tracker }),
};

export default [galataPlugin];
