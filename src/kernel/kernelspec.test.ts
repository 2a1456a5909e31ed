import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installKernelSpec, jupyterDataDir, kernelSpec } from './kernelspec';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('kernelspec', () => {
  it('finds the Jupyter data folder like jupyter_core', () => {
    expect(jupyterDataDir({ prefix: '/opt/env' })).toBe('/opt/env/share/jupyter');
    expect(jupyterDataDir({ env: { JUPYTER_DATA_DIR: '/data/jupyter' } })).toBe('/data/jupyter');
    expect(jupyterDataDir({ user: true, env: { XDG_DATA_HOME: '/xdg' } })).toBe('/xdg/jupyter');
    expect(jupyterDataDir({ env: {} })).toBe(path.join(os.homedir(), '.local', 'share', 'jupyter'));
    expect(() => jupyterDataDir({ user: true, prefix: '/x' })).toThrow(/one of/);
  });

  it('writes kernel.json with absolute paths, {connection_file} and signal interrupts', () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fancyflow-spec-'));
    dirs.push(dataDir);
    const dir = installKernelSpec(dataDir);
    expect(dir).toBe(path.join(dataDir, 'kernels', 'fancyflow'));
    const spec = JSON.parse(readFileSync(path.join(dir, 'kernel.json'), 'utf8')) as ReturnType<
      typeof kernelSpec
    >;
    expect(spec).toMatchObject({
      display_name: 'TypeScript (fancyflow)',
      language: 'typescript',
      interrupt_mode: 'signal',
    });
    const argv = spec.argv as string[];
    expect(path.isAbsolute(argv[0]!) && path.isAbsolute(argv[1]!)).toBe(true);
    expect(argv[1]).toMatch(/bin[\\/]fancyflow\.js$/);
    expect(argv.slice(2)).toEqual(['kernel', '--connection-file', '{connection_file}']);
    expect(readFileSync(path.join(dir, 'logo-svg.svg'), 'utf8')).toContain('<svg');
  });
});
