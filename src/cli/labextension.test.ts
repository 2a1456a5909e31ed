import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtLabextensionDir, installLabextension } from './labextension';

describe('installLabextension', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ff-labext-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function fakeBuild(load: string): string {
    const dir = path.join(tmp, `build-${load}`);
    fs.mkdirSync(path.join(dir, 'static'), { recursive: true });
    const pkg = {
      name: 'fancyflow',
      version: '0.0.0',
      jupyterlab: { _build: { load: `static/${load}` } },
    };
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg));
    fs.writeFileSync(path.join(dir, 'static', load), '// entry');
    return dir;
  }

  it('copies the build to <dataDir>/labextensions/fancyflow and replaces an older copy', () => {
    const dataDir = path.join(tmp, 'data');
    installLabextension(dataDir, { sourceDir: fakeBuild('remoteEntry.old.js') });
    const result = installLabextension(dataDir, { sourceDir: fakeBuild('remoteEntry.new.js') });
    const dir = path.join(dataDir, 'labextensions', 'fancyflow');
    expect(result).toMatchObject({ status: 'installed', dir });
    expect(fs.readdirSync(path.join(dir, 'static'))).toEqual(['remoteEntry.new.js']);
    expect(fs.readdirSync(path.join(dataDir, 'labextensions'))).toEqual(['fancyflow']);
  });

  it('reports not-built and writes nothing when the build output is missing', () => {
    const dataDir = path.join(tmp, 'data');
    const result = installLabextension(dataDir, { sourceDir: path.join(tmp, 'nowhere') });
    expect(result.status).toBe('not-built');
    expect(fs.existsSync(path.join(dataDir, 'labextensions'))).toBe(false);
  });

  it("defaults to package.json's jupyterlab.outputDir", () => {
    expect(builtLabextensionDir()).toBe(
      path.resolve(__dirname, '..', '..', 'dist', 'labextension'),
    );
  });
});
