/**
 * The core JupyterLab packages the fancyflow host app is assembled from.
 * Shared by the bundle generator (which imports each one) and the asset step (schemas, themes,
 * styles). A subset of JupyterLab 4.6's core list (`@jupyterlab/core-meta`'s core.package.json):
 * what a notebook user needs, without terminals, the debugger, LSP or the extension manager, which
 * need server parts that Debian's jupyter-server 1.23 lacks.
 */
'use strict';

/** Packages whose default export is a plugin or a list of plugins. */
const extensions = [
  '@jupyterlab/application-extension',
  '@jupyterlab/apputils-extension',
  '@jupyterlab/cell-toolbar-extension',
  '@jupyterlab/codemirror-extension',
  '@jupyterlab/completer-extension',
  '@jupyterlab/console-extension',
  '@jupyterlab/csvviewer-extension',
  '@jupyterlab/docmanager-extension',
  '@jupyterlab/documentsearch-extension',
  '@jupyterlab/filebrowser-extension',
  '@jupyterlab/fileeditor-extension',
  '@jupyterlab/help-extension',
  '@jupyterlab/imageviewer-extension',
  '@jupyterlab/launcher-extension',
  '@jupyterlab/mainmenu-extension',
  '@jupyterlab/markdownviewer-extension',
  '@jupyterlab/markedparser-extension',
  '@jupyterlab/metadataform-extension',
  '@jupyterlab/notebook-extension',
  '@jupyterlab/rendermime-extension',
  '@jupyterlab/running-extension',
  '@jupyterlab/services-extension',
  '@jupyterlab/settingeditor-extension',
  '@jupyterlab/shortcuts-extension',
  '@jupyterlab/statusbar-extension',
  '@jupyterlab/theme-dark-extension',
  '@jupyterlab/theme-light-extension',
  '@jupyterlab/toc-extension',
  '@jupyterlab/tooltip-extension',
  '@jupyterlab/translation-extension',
  '@jupyterlab/ui-components-extension',
  '@jupyterlab/workspaces-extension',
];

/** Packages whose default export is a renderer (mime) extension. */
const mimeExtensions = [
  '@jupyterlab/javascript-extension',
  '@jupyterlab/json-extension',
  '@jupyterlab/vega5-extension',
];

/**
 * Plugins left out: they require the language-server (LSP) services, whose server side
 * (jupyter-lsp) Debian's jupyter-server does not have.
 */
const excludedPlugins = [
  '@jupyterlab/fileeditor-extension:language-server',
  '@jupyterlab/notebook-extension:language-server',
];

module.exports = { extensions, mimeExtensions, excludedPlugins };
