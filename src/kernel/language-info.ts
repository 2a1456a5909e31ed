/**
 * The kernel's `language_info` and kernelspec facts, in one place: `kernel_info_reply` sends them,
 * and notebooks fancyflow writes carry them verbatim, so JupyterLab finds nothing to change when
 * it opens one (an unchanged notebook stays unmodified). Kept light: no zeromq.
 */
import * as ts from '@tslab/typescript-for-tslab';

/** The notebook metadata `language_info` of the fancyflow kernel. */
export const LANGUAGE_INFO = {
  name: 'typescript',
  version: ts.version,
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
