/**
 * The kernel's `language_info` and kernelspec facts, in one place: `kernel_info_reply` sends them,
 * and notebooks fancyflow writes carry them verbatim, so JupyterLab finds nothing to change when
 * it opens one (an unchanged notebook stays unmodified). Kept light: no zeromq, and the
 * TypeScript version is read from its package.json (the kernel answers kernel_info before it
 * loads the compiler).
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const typescriptPackage = require('@tslab/typescript-for-tslab/package.json') as {
  version: string;
};

/** The version of the TypeScript compiler tslab runs (`ts.version`). */
export const TYPESCRIPT_VERSION = typescriptPackage.version;

/** The notebook metadata `language_info` of the fancyflow kernel. */
export const LANGUAGE_INFO = {
  name: 'typescript',
  version: TYPESCRIPT_VERSION,
  mimetype: 'text/typescript',
  file_extension: '.ts',
  pygments_lexer: 'typescript',
  codemirror_mode: { name: 'typescript', typescript: true },
  nbconvert_exporter: 'script',
} as const;

/** The notebook metadata `kernelspec` of the fancyflow kernel. */
export const KERNELSPEC = {
  name: 'fancyflow',
  display_name: 'TypeScript (fancyflow)',
  language: 'typescript',
} as const;
