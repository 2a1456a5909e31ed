/**
 * Starts the fancyflow JupyterLab host (browser code, bundled by rspack; loaded by bootstrap.js
 * once the federated extensions have joined the share scope).
 *
 * Mirrors JupyterLab 4.6's own `index.js`: core plugins come from the packages listed in
 * `scripts/lab/extensions.js` (imported through the generated module below), federated plugins
 * from the containers bootstrap.js loaded. The app is exposed as `window.jupyterapp`, which
 * browser tests (galata) drive.
 */
import { PageConfig } from '@jupyterlab/coreutils';
import { JupyterLab } from '@jupyterlab/application';
import { IConnectionStatus, IServiceManager } from '@jupyterlab/services';
import { PluginRegistry } from '@lumino/coreutils';
import {
  excludedPlugins,
  extensions,
  mimeExtensions,
  testExtensions,
} from 'fancyflow-lab-generated';
import 'fancyflow-lab-generated/style';

async function createFederatedModule(scope, module) {
  const factory = await window._JUPYTERLAB[scope].get(module);
  const instance = factory();
  instance.__scope__ = scope;
  return instance;
}

/** Starts JupyterLab; resolves once `app.started` does. */
export async function main() {
  const disabled = [];
  const deferred = [];
  const ignorePlugins = [];
  const availablePlugins = [];

  /** The enabled plugins of one module (CommonJS or ES module), recording the rest. */
  function* activePlugins(module, scope) {
    const exported = Object.prototype.hasOwnProperty.call(module, '__esModule')
      ? module.default
      : module;
    const plugins = Array.isArray(exported) ? exported : [exported];
    for (const plugin of plugins) {
      if (excludedPlugins.includes(plugin.id)) continue;
      const isDisabled = PageConfig.Extension.isDisabled(plugin.id);
      availablePlugins.push({
        id: plugin.id,
        description: plugin.description,
        requires: plugin.requires ?? [],
        optional: plugin.optional ?? [],
        provides: plugin.provides ?? null,
        autoStart: plugin.autoStart,
        enabled: !isDisabled,
        extension: scope,
      });
      if (isDisabled) {
        disabled.push(plugin.id);
        continue;
      }
      if (PageConfig.Extension.isDeferred(plugin.id)) {
        deferred.push(plugin.id);
        ignorePlugins.push(plugin.id);
      }
      yield plugin;
    }
  }

  const federated = JSON.parse(PageConfig.getOption('federated_extensions') || '[]');
  const federatedNames = new Set(federated.map((data) => data.name));
  const register = [];
  const mimePlugins = [];

  // A federated extension of the same name replaces the bundled one, as in JupyterLab.
  const load = async (list, target) => {
    for (const [name, importer] of list) {
      if (federatedNames.has(name)) continue;
      try {
        for (const plugin of activePlugins(await importer(), name)) target.push(plugin);
      } catch (error) {
        console.error(`fancyflow lab: failed to load ${name}`, error);
      }
    }
  };
  await load(mimeExtensions, mimePlugins);
  await load(extensions, register);
  if (PageConfig.getOption('fancyflowBrowserTest').toLowerCase() === 'true') {
    await load(testExtensions, register);
  }

  const settle = async (kind, target) => {
    const modules = await Promise.allSettled(
      federated
        .filter((data) => data[kind])
        .map((data) => createFederatedModule(data.name, data[kind])),
    );
    for (const result of modules) {
      if (result.status === 'fulfilled') {
        for (const plugin of activePlugins(result.value, result.value.__scope__))
          target.push(plugin);
      } else {
        console.error(result.reason);
      }
    }
  };
  await settle('mimeExtension', mimePlugins);
  await settle('extension', register);
  const styles = await Promise.allSettled(
    federated
      .filter((data) => data.style && !PageConfig.Extension.isDisabled(data.name))
      .map((data) => createFederatedModule(data.name, data.style)),
  );
  for (const result of styles) if (result.status === 'rejected') console.error(result.reason);

  const pluginRegistry = new PluginRegistry();
  pluginRegistry.registerPlugins(register);
  const connectionStatus = await pluginRegistry.resolveOptionalService(IConnectionStatus);
  const serviceManager = await pluginRegistry.resolveOptionalService(IServiceManager);

  const lab = new JupyterLab({
    pluginRegistry,
    serviceManager,
    connectionStatus,
    mimeExtensions: mimePlugins,
    disabled: { matches: disabled, patterns: PageConfig.Extension.disabled.map((v) => v.raw) },
    deferred: { matches: deferred, patterns: PageConfig.Extension.deferred.map((v) => v.raw) },
    availablePlugins,
  });
  window.jupyterapp = lab;
  await lab.start({ ignorePlugins, bubblingKeydown: true });
}
