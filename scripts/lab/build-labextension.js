#!/usr/bin/env node
/**
 * Builds fancyflow's PREBUILT (federated) JupyterLab extension with `@jupyter/builder`, against
 * JupyterLab 4.6's core.package.json, into the `jupyterlab.outputDir` of package.json
 * (`dist/labextension/`, published with the package): the folder `fancyflow install` copies to
 * `<data dir>/labextensions/fancyflow/`.
 *
 * Input: the ES modules `tsc -p tsconfig.lab.json` emits (`lib/lab/index.js`), `style/index.js`,
 * and the plugin settings schemas in `schema/lab/` (the package.json `jupyterlab` key says where).
 *
 * Why not run the builder on the package root directly: the builder exposes the package's `main`
 * (here the Node library, `dist/index.js`) and shares every runtime `dependency` (tslab, commander,
 * …) in the browser bundle. So this script stages a browser-only package description in
 * `.build/labextension-src/package.json` (same name, version and `jupyterlab` metadata, `main` =
 * the lab entry, no dependencies: zod and the rest are bundled privately) and builds that.
 *
 * Usage: node scripts/lab/build-labextension.js [--development] [--entry FILE]
 *   --entry replaces the lab entry module (used to prove the pipeline with a placeholder plugin).
 */
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const STAGING = path.join(ROOT, '.build', 'labextension-src');

function parseArgs(argv) {
  const args = { development: false, entry: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--development') args.development = true;
    else if (argv[i] === '--entry') args.entry = path.resolve(argv[++i]);
    else throw new Error(`build-labextension: unknown argument ${argv[i]}`);
  }
  return args;
}

/** A path of the root package, relative to the staging folder (what the builder joins it to). */
function fromStaging(rootRelative) {
  return path.relative(STAGING, path.join(ROOT, rootRelative)).split(path.sep).join('/');
}

function stage(pkg, entry) {
  const lab = pkg.jupyterlab;
  if (!lab || typeof lab.extension !== 'string' || typeof lab.outputDir !== 'string') {
    throw new Error(
      'build-labextension: package.json needs jupyterlab.extension and jupyterlab.outputDir',
    );
  }
  const extension = entry
    ? path.relative(STAGING, entry).split(path.sep).join('/')
    : fromStaging(lab.extension);
  if (!fs.existsSync(path.join(STAGING, extension))) {
    throw new Error(
      `build-labextension: ${path.join(STAGING, extension)} does not exist; run \`npx tsc -p tsconfig.lab.json\` first`,
    );
  }
  const staged = {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    license: pkg.license,
    main: extension,
    dependencies: {},
    jupyterlab: {
      ...lab,
      extension,
      outputDir: fromStaging(lab.outputDir),
      ...(lab.schemaDir ? { schemaDir: fromStaging(lab.schemaDir) } : {}),
    },
  };
  if (typeof pkg.styleModule === 'string') staged.styleModule = fromStaging(pkg.styleModule);
  if (typeof pkg.style === 'string') staged.style = fromStaging(pkg.style);
  fs.mkdirSync(STAGING, { recursive: true });
  fs.writeFileSync(path.join(STAGING, 'package.json'), JSON.stringify(staged, null, 2) + '\n');
  return path.join(ROOT, lab.outputDir);
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const outputDir = stage(pkg, args.entry);
  const builder = require.resolve('@jupyter/builder/lib/build-labextension.js');
  const core = require.resolve('@jupyterlab/core-meta/core.package.json');
  const result = spawnSync(
    process.execPath,
    [builder, '--core-package-file', core, ...(args.development ? ['--development'] : []), STAGING],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    console.error(`build-labextension: @jupyter/builder failed (exit ${result.status})`);
    process.exit(1);
  }
  const builtFile = path.join(outputDir, 'package.json');
  const built = JSON.parse(fs.readFileSync(builtFile, 'utf8'));
  if (!built.jupyterlab?._build?.load) {
    console.error('build-labextension: the builder wrote no jupyterlab._build.load entry');
    process.exit(1);
  }
  // The installed package.json is what JupyterLab reads: describe the real package, not the staging.
  const installed = {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    license: pkg.license,
  };
  installed.jupyterlab = { ...pkg.jupyterlab, _build: built.jupyterlab._build };
  fs.writeFileSync(builtFile, JSON.stringify(installed, null, 2) + '\n');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `build-labextension: ${path.relative(ROOT, outputDir)} (${built.jupyterlab._build.load}) in ${seconds} s`,
  );
}

main();
