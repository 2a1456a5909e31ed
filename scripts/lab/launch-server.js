/**
 * Starts `scripts/lab/server.py` (Debian's jupyter-server + jupyterlab_server serving the host
 * app) as a child process and resolves once it listens, with its URL and a `stop()` that ends it
 * by pid. Also installs fancyflow (kernelspec + prebuilt extension) into a private Jupyter home
 * with the real CLI. Shared by `npm start` and the browser tests' global setup.
 */
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { spawn, spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const SYSTEM_PYTHON = '/usr/bin/python3';

/** The data folder (JUPYTER_PATH / JUPYTER_DATA_DIR) server.py uses for a private Jupyter home. */
function dataDirOf(jupyterDir) {
  return path.join(jupyterDir, 'data');
}

/**
 * Runs `fancyflow install --user` with JUPYTER_DATA_DIR pointing into `jupyterDir`: the kernelspec
 * "TypeScript (fancyflow)" and the prebuilt JupyterLab extension. Returns the CLI's output.
 */
function installFancyflow(jupyterDir) {
  const env = { ...process.env, JUPYTER_DATA_DIR: dataDirOf(jupyterDir) };
  const result = spawnSync(
    process.execPath,
    [path.join(ROOT, 'bin', 'fancyflow.js'), 'install', '--user'],
    {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) {
    throw new Error(
      `fancyflow install failed (exit ${result.status}):\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}

/**
 * Starts the server. Options: `root` (folder the file browser shows), `jupyterDir` (private
 * Jupyter home), `appDir` (default .build/lab), `port` (0 = free), `token` ('' = no auth),
 * `browserTest` (galata helpers, no XSRF check), `logFile` (server output; default
 * <jupyterDir>/server.log), `timeoutMs` (default 60 s).
 * Resolves to `{ url, origin, pid, logFile, stop }`; `stop()` sends SIGTERM (then SIGKILL after 10 s).
 */
function startLabServer(options) {
  const {
    root,
    jupyterDir,
    appDir = path.join(ROOT, '.build', 'lab'),
    port = 0,
    token = '',
    browserTest = false,
    timeoutMs = 60_000,
  } = options;
  const logFile = options.logFile ?? path.join(jupyterDir, 'server.log');
  if (!fs.existsSync(SYSTEM_PYTHON)) {
    return Promise.reject(
      new Error(`${SYSTEM_PYTHON} is missing: run node scripts/ensure-system.js`),
    );
  }
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const log = fs.openSync(logFile, 'w');
  const args = [
    path.join(__dirname, 'server.py'),
    '--app-dir',
    appDir,
    '--jupyter-dir',
    jupyterDir,
    '--root',
    root,
    '--port',
    String(port),
    '--token',
    token,
    ...(browserTest ? ['--browser-test'] : []),
  ];
  // Own process group: a Ctrl-C in the terminal reaches only the parent, which stops the server.
  const child = spawn(SYSTEM_PYTHON, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', log],
    detached: true,
  });
  fs.closeSync(log);

  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  return new Promise((resolve, reject) => {
    let buffer = '';
    let settled = false;
    const fail = (message) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop();
      const tail = fs.existsSync(logFile)
        ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n')
        : '';
      reject(new Error(`${message}\n--- ${logFile} (last lines) ---\n${tail}`));
    };
    const timer = setTimeout(
      () => fail(`the JupyterLab server did not start within ${timeoutMs} ms`),
      timeoutMs,
    );
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      const match = /^FANCYFLOW_LAB_URL=(\S+)$/m.exec(buffer);
      if (!match || settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      const url = match[1];
      resolve({ url, origin: new URL(url).origin, pid: child.pid, logFile, stop, exited });
    });
    child.once('exit', (code, signal) =>
      fail(`the JupyterLab server exited early (code ${code}, signal ${signal})`),
    );
  });
}

module.exports = { startLabServer, installFancyflow, dataDirOf };
