/**
 * `fancyflow install [--user | --prefix <dir> | --sys-prefix] [--name <name>]`: makes the kernel
 * known to Jupyter by writing its kernelspec into a Jupyter data folder.
 */
import type { Command } from 'commander';
import { installKernelSpec, jupyterDataDir, type DataDirOptions } from '../../kernel/kernelspec';
import { contextOf, type CliIO } from '../context';
import { installLabextension, type LabextensionInstall } from '../labextension';
import { ExitCode, reportError } from '../report-error';

/** The options of `fancyflow install`. */
export interface InstallCommandOptions {
  user?: boolean;
  prefix?: string;
  sysPrefix?: boolean;
  name?: string;
  displayName?: string;
}

/** What `install` wrote. */
export interface InstallResult {
  dataDir: string;
  kernelSpecDir: string;
  /** The prebuilt JupyterLab extension's copy, or `not-built` in a source checkout before a build. */
  labextension: LabextensionInstall;
}

/**
 * Installs everything Jupyter needs into `dataDir`: the kernelspec (and, once the lab extension
 * is built, its prebuilt extension under `<dataDir>/labextensions/fancyflow`).
 */
export function installInto(dataDir: string, options: InstallCommandOptions = {}): InstallResult {
  const kernelSpecDir = installKernelSpec(dataDir, {
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.displayName === undefined ? {} : { displayName: options.displayName }),
  });
  return { dataDir, kernelSpecDir, labextension: installLabextension(dataDir) };
}

/** The data folder `install` writes to for these options and this environment. */
export function installDataDir(options: InstallCommandOptions, io: Pick<CliIO, 'env'>): string {
  const selection: DataDirOptions = { env: io.env };
  if (options.user) selection.user = true;
  if (options.prefix !== undefined) selection.prefix = options.prefix;
  if (options.sysPrefix) selection.sysPrefix = true;
  return jupyterDataDir(selection);
}

/** Adds `fancyflow install` to the program. */
export function register(program: Command): void {
  program
    .command('install')
    .description('install the Jupyter kernelspec "TypeScript (fancyflow)"')
    .option('--user', 'into the per-user Jupyter data folder (default; honours JUPYTER_DATA_DIR)')
    .option('--prefix <dir>', 'into <dir>/share/jupyter')
    .option('--sys-prefix', "into the Jupyter data folder of the system's Python")
    .option('--name <name>', 'the kernelspec name', 'fancyflow')
    .option('--display-name <text>', 'the name Jupyter shows', 'TypeScript (fancyflow)')
    .action((options: InstallCommandOptions, command: Command) => {
      const context = contextOf(command);
      const { io } = context;
      try {
        const result = installInto(installDataDir(options, io), options);
        io.stdout.write(`Installed the kernelspec in ${result.kernelSpecDir}\n`);
        io.stdout.write(
          result.labextension.status === 'installed'
            ? `Installed the JupyterLab extension in ${result.labextension.dir}\n`
            : `JupyterLab extension not built (${result.labextension.sourceDir}): run npm run build:labextension\n`,
        );
        context.exitCode = ExitCode.OK;
      } catch (e) {
        reportError(io.stderr, e);
        context.exitCode = ExitCode.INVALID_INPUT;
      }
    });
}
