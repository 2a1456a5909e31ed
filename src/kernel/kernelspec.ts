/**
 * The kernelspec: the tiny `kernel.json` that tells Jupyter how to start this kernel, and where the
 * Jupyter data folders are (`--user`, `--prefix`, `--sys-prefix`, as `jupyter kernelspec install`
 * understands them).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FancyflowError } from '../core/errors';
import { packageRoot } from './package-root';

/** Which Jupyter data folder to install into. */
export interface DataDirOptions {
  /** The per-user folder (default): `JUPYTER_DATA_DIR`, else `$XDG_DATA_HOME/jupyter`, else `~/.local/share/jupyter`. */
  user?: boolean;
  /** `<prefix>/share/jupyter`. */
  prefix?: string;
  /** The folder of the Python that runs Jupyter: `<sys.prefix of /usr/bin/python3>/share/jupyter`. */
  sysPrefix?: boolean;
  /** Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

function systemPythonPrefix(): string {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      const out = execFileSync(python, ['-c', 'import sys; print(sys.prefix)'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 10_000,
      }).trim();
      if (out) return out;
    } catch {
      // try the next python; /usr/local is the answer when there is none
    }
  }
  return '/usr/local';
}

/**
 * The Jupyter data folder the options select (kernelspecs go to `<it>/kernels/<name>`, prebuilt
 * JupyterLab extensions to `<it>/labextensions/<name>`).
 */
export function jupyterDataDir(options: DataDirOptions = {}): string {
  const chosen = [
    options.user === true,
    options.prefix !== undefined,
    options.sysPrefix === true,
  ].filter(Boolean);
  if (chosen.length > 1) {
    throw new FancyflowError('INVALID_CONFIG', 'Choose one of --user, --prefix and --sys-prefix');
  }
  if (options.prefix !== undefined) return path.resolve(options.prefix, 'share', 'jupyter');
  if (options.sysPrefix) return path.join(systemPythonPrefix(), 'share', 'jupyter');
  const env = options.env ?? process.env;
  if (env.JUPYTER_DATA_DIR) return path.resolve(env.JUPYTER_DATA_DIR);
  if (env.XDG_DATA_HOME) return path.join(env.XDG_DATA_HOME, 'jupyter');
  return path.join(os.homedir(), '.local', 'share', 'jupyter');
}

/** What goes into kernel.json. */
export interface KernelSpecOptions {
  /** The kernelspec's folder name. Default `fancyflow`. */
  name?: string;
  /** Default `TypeScript (fancyflow)`. */
  displayName?: string;
  /** Default: the running Node (`process.execPath`). */
  nodePath?: string;
  /** Default: this package's `bin/fancyflow.js`. */
  binPath?: string;
}

/** The kernel.json of this kernel. */
export function kernelSpec(options: KernelSpecOptions = {}): Record<string, unknown> {
  return {
    argv: [
      path.resolve(options.nodePath ?? process.execPath),
      path.resolve(options.binPath ?? path.join(packageRoot, 'bin', 'fancyflow.js')),
      'kernel',
      '--connection-file',
      '{connection_file}',
    ],
    display_name: options.displayName ?? 'TypeScript (fancyflow)',
    language: 'typescript',
    // "signal": Jupyter interrupts with SIGINT. A cell stuck in a synchronous loop keeps the only
    // JavaScript thread busy, so an interrupt_request message could not even be read; SIGINT is
    // seen by V8's watchdog (tslab runs cells with breakOnSigint) and also rejects pending awaits.
    // interrupt_request on the control channel is still answered, for clients that send it.
    interrupt_mode: 'signal',
    metadata: { debugger: false },
  };
}

const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">
<rect width="64" height="64" rx="10" fill="#3178c6"/>
<path d="M14 46 L26 18 L34 34 L42 24 L52 46" fill="none" stroke="#fff" stroke-width="5" stroke-linecap="round" stroke-linejoin="round"/>
<circle cx="26" cy="18" r="4" fill="#ffd43b"/><circle cx="42" cy="24" r="4" fill="#ffd43b"/>
</svg>
`;

/** Writes `<dataDir>/kernels/<name>/kernel.json` (and its logo); returns the kernelspec folder. */
export function installKernelSpec(dataDir: string, options: KernelSpecOptions = {}): string {
  const dir = path.join(dataDir, 'kernels', options.name ?? 'fancyflow');
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'kernel.json'),
      `${JSON.stringify(kernelSpec(options), null, 2)}\n`,
    );
    writeFileSync(path.join(dir, 'logo-svg.svg'), LOGO_SVG);
  } catch (e) {
    throw new FancyflowError('STORE_IO', `Cannot write the kernelspec into ${dir}`, {
      details: { dir },
      cause: e,
    });
  }
  return dir;
}

/** True when `dataDir` holds a kernelspec named `name`. */
export function hasKernelSpec(dataDir: string, name = 'fancyflow'): boolean {
  return existsSync(path.join(dataDir, 'kernels', name, 'kernel.json'));
}
