/**
 * `display()` and `clearOutput()` for notebook code. Kept light: the package root exports it, and
 * the kernel registers its output hooks on `globalThis` (shared by every copy of this package).
 */

/** What the kernel offers to `display()` and `clearOutput()`. */
export interface KernelOutputHost {
  display(value: unknown, options: DisplayOptions): void;
  clear(wait: boolean): void;
}

/** Options of {@link display}. */
export interface DisplayOptions {
  /** Shows the value under this id, so a later `display(…, { displayId, update: true })` replaces it. */
  displayId?: string;
  /** Replaces the output shown under `displayId` instead of adding one. Default false. */
  update?: boolean;
}

const HOST_KEY = Symbol.for('fancyflow.kernelOutput');

type GlobalWithHost = typeof globalThis & { [HOST_KEY]?: KernelOutputHost };

/** Makes `host` the kernel output `display()` writes to (the kernel calls this). */
export function registerKernelOutputHost(host: KernelOutputHost | undefined): void {
  const g = globalThis as GlobalWithHost;
  if (host) g[HOST_KEY] = host;
  else delete g[HOST_KEY];
}

/**
 * Shows a value in the running cell's output, as rich as it can be (a table as a FancyCell card,
 * a Vega-Lite spec as a chart). Outside a kernel it logs the value.
 *
 * @example
 * display({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', mark: 'point', data })
 */
export function display(value: unknown, options: DisplayOptions = {}): void {
  const host = (globalThis as GlobalWithHost)[HOST_KEY];
  if (host) host.display(value, options);
  else console.log(value);
}

/** Clears the running cell's output (`wait`: when the next output arrives). No-op outside a kernel. */
export function clearOutput(options: { wait?: boolean } = {}): void {
  (globalThis as GlobalWithHost)[HOST_KEY]?.clear(options.wait ?? false);
}
