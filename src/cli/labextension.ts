/**
 * Installs fancyflow's prebuilt (federated) JupyterLab extension into a Jupyter data folder, as
 * `<dataDir>/labextensions/fancyflow/`: the form JupyterLab 4 loads without a rebuild and without
 * a Python package. The extension is built by `npm run build:labextension` into the package's
 * `jupyterlab.outputDir` (package.json); this module only copies that folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ErrorCode, FancyflowError } from '../core/errors';

/** The folder name JupyterLab finds the extension under (the npm package name). */
export const LABEXTENSION_NAME = 'fancyflow';

/** What {@link installLabextension} did. */
export type LabextensionInstall =
  /** Copied: `dir` is `<dataDir>/labextensions/fancyflow`. */
  | { status: 'installed'; dir: string; sourceDir: string }
  /** Nothing to copy: the extension was never built at `sourceDir` (a source checkout before a build). */
  | { status: 'not-built'; sourceDir: string };

/** Options of {@link installLabextension}. */
export interface LabextensionInstallOptions {
  /** The built extension folder. Default: `jupyterlab.outputDir` of fancyflow's package.json. */
  sourceDir?: string;
}

/** The root folder of the installed fancyflow package (holds package.json). */
export function packageRoot(): string {
  // This file runs as src/cli/labextension.ts (tsx, vitest) or dist/cli/labextension.js.
  return path.resolve(__dirname, '..', '..');
}

/** Where `npm run build:labextension` puts the prebuilt extension (`jupyterlab.outputDir`). */
export function builtLabextensionDir(root: string = packageRoot()): string {
  const file = path.join(root, 'package.json');
  let outputDir: unknown;
  try {
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      jupyterlab?: { outputDir?: unknown };
    };
    outputDir = pkg.jupyterlab?.outputDir;
  } catch (cause) {
    throw new FancyflowError(ErrorCode.FILE_READ, `cannot read ${file}`, {
      details: { path: file },
      cause,
    });
  }
  if (typeof outputDir !== 'string') {
    throw new FancyflowError(ErrorCode.INTERNAL, `${file} has no jupyterlab.outputDir`, {
      details: { path: file },
    });
  }
  return path.resolve(root, outputDir);
}

/**
 * Copies the prebuilt extension to `<dataDir>/labextensions/fancyflow/`, replacing an older copy.
 * A JupyterLab started afterwards (with `dataDir` on its JUPYTER_PATH) loads it. Returns
 * `not-built` instead of copying when the build output does not exist.
 *
 * @example
 * const result = installLabextension(jupyterDataDir({ user: true }));
 * if (result.status === 'installed') console.log(`JupyterLab extension in ${result.dir}`);
 */
export function installLabextension(
  dataDir: string,
  options: LabextensionInstallOptions = {},
): LabextensionInstall {
  const sourceDir = options.sourceDir ?? builtLabextensionDir();
  if (!fs.existsSync(path.join(sourceDir, 'package.json')))
    return { status: 'not-built', sourceDir };
  const parent = path.join(dataDir, 'labextensions');
  const dir = path.join(parent, LABEXTENSION_NAME);
  // Copy beside the target, then swap, so a running server never sees a half-copied folder.
  const staging = path.join(parent, `.${LABEXTENSION_NAME}-${process.pid}-${Date.now()}`);
  try {
    fs.mkdirSync(parent, { recursive: true });
    fs.cpSync(sourceDir, staging, { recursive: true });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
  } catch (cause) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new FancyflowError(
      ErrorCode.STORE_IO,
      `cannot install the JupyterLab extension into ${dir}`,
      {
        details: { path: dir, sourceDir },
        cause,
      },
    );
  }
  return { status: 'installed', dir, sourceDir };
}
