/**
 * What notebook code expects of the process it runs in, for the kernel and for a headless
 * `fancyflow run notebook.ipynb` alike: `fancyflow`, `zod`, `arquero` and `apache-arrow` resolve
 * from any folder, console output goes to the running cell, and `display()` shows rich values in
 * it. Once per process.
 */
import { registerKernelOutputHost } from './display-api';
import { displayBundle } from './displays';
import { installModuleAlias } from './module-alias';
import { currentOutput, installOutputCapture } from './output';

/**
 * Installs the module aliases, the output capture and the `display()` host. The type checker's
 * aliases and tslab's `display` hook come with the engine (`engine.ts`), which loads TypeScript.
 */
export function installNotebookRuntime(): void {
  installModuleAlias();
  installOutputCapture();
  registerKernelOutputHost({
    display(value, displayOptions) {
      const sink = currentOutput();
      if (!sink) return;
      const bundle = displayBundle(value);
      sink.display(
        {
          ...bundle,
          ...(displayOptions.displayId === undefined
            ? {}
            : { transient: { display_id: displayOptions.displayId } }),
        },
        displayOptions.update === true,
      );
    },
    clear(wait) {
      currentOutput()?.clear(wait);
    },
  });
}
