#!/usr/bin/env node
/**
 * Installs the Debian packages that the real components need (Jupyter server, jupyter_client,
 * nbclient, the kernel conformance suite, Chromium, Redis for the distributed queue), or says exactly
 * what to install.
 * Idempotent and quick when everything is present. Used by `npm start` and `npm test`.
 */
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');

/** Debian package → a file that proves it is installed. */
const PACKAGES = {
  'jupyter-server': '/usr/bin/jupyter-server',
  'python3-jupyter-server': '/usr/lib/python3/dist-packages/jupyter_server/__init__.py',
  'python3-jupyterlab-server': '/usr/lib/python3/dist-packages/jupyterlab_server/__init__.py',
  'jupyter-client': '/usr/bin/jupyter-kernelspec',
  'python3-jupyter-client': '/usr/lib/python3/dist-packages/jupyter_client/__init__.py',
  'python3-nbclient': '/usr/lib/python3/dist-packages/nbclient/__init__.py',
  'jupyter-nbconvert': '/usr/bin/jupyter-nbconvert',
  'python3-nbformat': '/usr/lib/python3/dist-packages/nbformat/__init__.py',
  'python3-ipykernel': '/usr/lib/python3/dist-packages/ipykernel/__init__.py',
  'python3-jupyter-kernel-test': '/usr/lib/python3/dist-packages/jupyter_kernel_test/__init__.py',
  chromium: '/usr/bin/chromium',
  'fonts-dejavu-core': '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  // the queue's tests start their own on 127.0.0.1 (`fancyflow worker --queue redis://…`)
  'redis-server': '/usr/bin/redis-server',
};

function missingPackages() {
  return Object.entries(PACKAGES)
    .filter(([, file]) => !fs.existsSync(file))
    .map(([name]) => name);
}

function main() {
  const missing = missingPackages();
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    console.error(
      `fancyflow needs these Debian packages: ${missing.join(' ')}\n` +
        `Install them as root with:\n  ${command}`,
    );
    process.exit(1);
  }
  console.error(`fancyflow: installing Debian packages: ${missing.join(' ')}`);
  // wait for another apt/dpkg to finish instead of failing on its lock
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  execFileSync('apt-get', ['update', '-qq', ...lock], { stdio: 'inherit', env });
  execFileSync(
    'apt-get',
    ['install', '-y', '-qq', '--no-install-recommends', ...lock, ...missing],
    {
      stdio: 'inherit',
      env,
    },
  );
  const still = missingPackages();
  if (still.length > 0) {
    console.error(`fancyflow: still missing after apt-get install: ${still.join(' ')}`);
    process.exit(1);
  }
}

main();
