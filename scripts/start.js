#!/usr/bin/env node
/**
 * `npm start`: opens a real JupyterLab on 127.0.0.1 with fancyflow in it.
 *   1. installs the Debian packages it needs (scripts/ensure-system.js) or says what is missing;
 *   2. builds what is stale (scripts/lab/build-all.js: tsc, the prebuilt extension, the host app);
 *   3. installs the kernelspec and the prebuilt extension with `fancyflow install` into a private
 *      Jupyter home (.build/jupyter), so nothing of the user's own Jupyter setup is touched;
 *   4. serves JupyterLab with `examples/` as the root folder and prints the URL (with its token);
 *   5. runs until Ctrl-C, then stops the server (and its kernels) by pid.
 *
 * Options: --port N (default 8888; 0 picks a free port), --root DIR (default examples/),
 *          --no-token (no authentication; the server still binds 127.0.0.1 only), --force-build.
 */
'use strict';
const path = require('node:path');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const { buildAll } = require('./lab/build-all');
const { installFancyflow, startLabServer } = require('./lab/launch-server');

const ROOT = path.resolve(__dirname, '..');

function parseArgs(argv) {
  const args = { port: 8888, root: path.join(ROOT, 'examples'), token: true, forceBuild: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--port') args.port = Number(argv[++i]);
    else if (arg === '--root') args.root = path.resolve(argv[++i]);
    else if (arg === '--no-token') args.token = false;
    else if (arg === '--force-build') args.forceBuild = true;
    else throw new Error(`npm start: unknown option ${arg}`);
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    throw new Error('npm start: --port takes a number from 0 to 65535');
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(args.root))
    throw new Error(`npm start: the root folder ${args.root} does not exist`);
  const system = spawnSync(process.execPath, [path.join(__dirname, 'ensure-system.js')], {
    stdio: 'inherit',
  });
  if (system.status !== 0) process.exit(system.status ?? 1);

  buildAll({ force: args.forceBuild });

  const jupyterDir = path.join(ROOT, '.build', 'jupyter');
  process.stdout.write(installFancyflow(jupyterDir));

  const token = args.token ? crypto.randomBytes(24).toString('hex') : '';
  const server = await startLabServer({ root: args.root, jupyterDir, port: args.port, token });
  console.log(
    `\nJupyterLab with fancyflow is running (root folder: ${path.relative(ROOT, args.root) || '.'}):`,
  );
  console.log(`\n    ${server.url}\n`);
  console.log(`Server log: ${path.relative(ROOT, server.logFile)}. Press Ctrl-C to stop.`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the JupyterLab server…');
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  const { code, signal } = await server.exited;
  if (!stopping) {
    console.error(
      `The JupyterLab server stopped by itself (code ${code}, signal ${signal}); see ${server.logFile}`,
    );
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
