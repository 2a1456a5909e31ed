/**
 * Global setup of the browser tests: builds what is stale (tsc, the prebuilt extension, the host
 * app), installs fancyflow into a private Jupyter home with the real `fancyflow install`, and
 * starts the JupyterLab server on 127.0.0.1 (free port, no token) with a temporary copy of
 * `examples/` as its root folder. Exposes `FANCYFLOW_LAB_ORIGIN` and `FANCYFLOW_LAB_ROOT` to the
 * tests; the returned teardown stops the server by pid and deletes the temporary folders.
 * FANCYFLOW_SKIP_BUILD=1 skips the build step (to iterate on tests while sources do not compile).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildAll } from '../../scripts/lab/build-all';
import { installFancyflow, startLabServer } from '../../scripts/lab/launch-server';

const repo = path.resolve(__dirname, '..', '..');

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (process.env.FANCYFLOW_SKIP_BUILD !== '1') buildAll();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fancyflow-browser-'));
  const root = path.join(tmp, 'root');
  fs.mkdirSync(root);
  const examples = path.join(repo, 'examples');
  if (fs.existsSync(examples)) fs.cpSync(examples, root, { recursive: true });
  const jupyterDir = path.join(tmp, 'jupyter');
  installFancyflow(jupyterDir);
  const started = Date.now();
  const server = await startLabServer({
    root,
    jupyterDir,
    port: 0,
    token: '',
    browserTest: true,
    logFile: path.join(repo, 'test-results', 'browser-server.log'),
  });
  console.log(
    `browser tests: JupyterLab server on ${server.origin} (pid ${server.pid}) in ${Date.now() - started} ms`,
  );
  process.env.FANCYFLOW_LAB_ORIGIN = server.origin;
  process.env.FANCYFLOW_LAB_ROOT = root;
  return async () => {
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
}
