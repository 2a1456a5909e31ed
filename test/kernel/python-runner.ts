/**
 * Runs Debian's Python (the one with Jupyter) against the kernel: installs the kernelspec into a
 * temporary Jupyter data folder with `fancyflow install --prefix`, and runs a script with
 * JUPYTER_PATH pointing there, in a notebook folder of its own. The Python process (and what it
 * starts) is killed by process group in `stop()`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binPath, repoRoot } from './kernel-process';

/** The Python that has Jupyter on Debian. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

const created: string[] = [];

/** Removes the temporary folders made here (node_modules links are removed, never followed). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A temporary Jupyter data folder with the fancyflow kernelspec; returns its path. */
export function installKernelSpec(): string {
  const prefix = mkdtempSync(path.join(os.tmpdir(), 'fancyflow-jupyter-'));
  created.push(prefix);
  execFileSync(process.execPath, [binPath, 'install', '--prefix', prefix], { stdio: 'pipe' });
  return path.join(prefix, 'share', 'jupyter');
}

/** A folder for notebooks whose node_modules is this repository's. */
export function scratchNotebookDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fancyflow-nb-'));
  created.push(dir);
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** The outcome of a Python run. */
export interface PythonRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running Python process. */
export interface PythonProcess {
  done: Promise<PythonRun>;
  stop(): void;
}

/** Starts `/usr/bin/python3 <args>` in `cwd` with JUPYTER_PATH=`jupyterPath`; kills it after `ms`. */
export function runPython(
  args: string[],
  options: { cwd: string; jupyterPath: string; ms: number; env?: NodeJS.ProcessEnv },
): PythonProcess {
  const child: ChildProcess = spawn(SYSTEM_PYTHON, args, {
    cwd: options.cwd,
    env: {
      ...process.env,
      ...options.env,
      JUPYTER_PATH: options.jupyterPath,
      PYTHONUNBUFFERED: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: stop() also ends the kernels it started
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const stop = (): void => {
    if (child.pid === undefined || child.exitCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(stop, options.ms);
  const done = new Promise<PythonRun>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: `${stderr}\n${String(e)}` });
    });
  });
  return { done, stop };
}

/** True when `/usr/bin/python3` can import `module`. */
export function pythonHas(module: string): boolean {
  try {
    execFileSync(SYSTEM_PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
