#!/usr/bin/env node
/**
 * The cache (issue 9):
 * 1. A fully cached re-run of examples/cars.workflow.json from a disk store, as a fraction of the
 *    cold run (goal: < 5%), and proof that it opens no datum file: every `fs` open/read call is
 *    counted while it runs (the store's index is read when the store opens, before the run).
 * 2. What caching costs per step in bench/core.js terms: a chain of trivial validated steps on a
 *    memory store with caching off, on (all misses: keys, code and output fingerprints, records)
 *    and on with every step a hit, beside the floor (a bare loop with the same zod checks).
 * 3. Hash speed: XXH3-128 (hash-wasm: cache keys and data fingerprints, through the core's
 *    Hash128 streams) against the 64-bit JS hash fancyflow used before (bench/baselines/hasher64.js),
 *    on a 16 MiB buffer and on short texts (a key's input).
 *
 * Method (bench/README.md): variants interleaved in rounds, the order rotating; gc forced before
 * each sample while one small completed run of every variant stays alive.
 * Run after `npm run build`: node --expose-gc bench/cache.js   (BENCH_QUICK=1: fewer rounds)
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { z } = require('zod');
const ff = require(process.env.BENCH_DIST || '../dist');
const { DiskDatumStore } = require('../dist/stores/disk-datum-store');
const { cacheSettings } = require('../dist/kernel/step-code');
const { createXXHash128 } = require('hash-wasm');
const { Hasher64 } = require('./baselines/hasher64');

const gc = typeof globalThis.gc === 'function' ? globalThis.gc : undefined;
if (!gc) console.warn('warning: run with --expose-gc for steady figures');
const QUICK = process.env.BENCH_QUICK === '1';
const keepAlive = [];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function rotate(list, by) {
  return list.map((_, i) => list[(i + by) % list.length]);
}

// ---- 1. cars: cold run vs fully cached re-run from a disk store ------------------------------
const ROOT = path.resolve(__dirname, '..');
const carsText = fs.readFileSync(path.join(ROOT, 'examples', 'cars.workflow.json'), 'utf8');
const settings = cacheSettings(path.join(ROOT, 'examples'));

/** Counts the fs calls that open or read a file under `dir` while `counting` is on. */
function fsCounter(dir) {
  const seen = [];
  let counting = false;
  const names = ['openSync', 'readFileSync', 'readFile', 'createReadStream', 'open'];
  const wrap = (target, name, label) => {
    const original = target[name];
    if (typeof original !== 'function') return;
    target[name] = function (file, ...rest) {
      if (counting && typeof file === 'string' && file.startsWith(dir))
        seen.push(`${label}(${file})`);
      return original.call(this, file, ...rest);
    };
  };
  for (const name of names) wrap(fs, name, `fs.${name}`);
  for (const name of ['open', 'readFile']) wrap(fs.promises, name, `fs.promises.${name}`);
  return {
    seen,
    start: () => void (counting = true),
    stop: () => void (counting = false),
  };
}

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'fancyflow-bench-cache-'));
const counter = fsCounter(base);
let dirs = 0;

async function openStore(dir) {
  return DiskDatumStore.open(dir);
}

async function runCars(dir) {
  const store = await openStore(dir);
  const workflow = ff.Workflow.parse(carsText, { registry: ff.defaultRegistry() });
  const orchestrator = new ff.Orchestrator({ store, cache: settings });
  if (gc) gc();
  const t0 = performance.now();
  const report = await orchestrator.run(workflow);
  const ms = performance.now() - t0;
  await store.flush();
  if (report.status !== 'completed') throw new Error(`cars run ${report.status}`);
  return { ms, report };
}

async function carsBench() {
  const rounds = QUICK ? 3 : 9;
  const cold = [];
  const warm = [];
  let opened = 0;
  for (let r = 0; r < rounds; r++) {
    const dir = path.join(base, `store-${++dirs}`);
    const first = await runCars(dir);
    cold.push(first.ms);
    // a new process's view: the store opened again (its index read), then the re-run
    const store = await openStore(dir);
    const workflow = ff.Workflow.parse(carsText, { registry: ff.defaultRegistry() });
    const orchestrator = new ff.Orchestrator({ store, cache: settings });
    if (gc) gc();
    counter.start();
    const t0 = performance.now();
    const report = await orchestrator.run(workflow);
    const ms = performance.now() - t0;
    counter.stop();
    if (!report.steps.every((s) => s.status === 'cached'))
      throw new Error('re-run was not all hits');
    warm.push(ms);
    opened += counter.seen.length;
    if (r === 0) keepAlive.push(first.report, report);
  }
  const c = median(cold);
  const w = median(warm);
  console.log(
    `cars (6 steps, disk store): cold run ${c.toFixed(1)} ms, fully cached re-run ${w.toFixed(2)} ms = ${((100 * w) / c).toFixed(2)}% of cold (goal < 5%); median of ${rounds}`,
  );
  console.log(
    `files opened or read under the store during the cached re-runs: ${opened}${opened ? ` (${counter.seen.slice(0, 3).join(', ')})` : ' (no datum file, and not the index either: it was read when the store opened)'}`,
  );
}

// ---- 2. per-step cost of caching (bench/core.js terms) -------------------------------------
const Payload = z.object({ value: z.number(), label: z.string(), tags: z.array(z.string()) });
const registry = new ff.FunctionRegistry();
const fn = ({ x }) => ({ value: x.value + 1, label: x.label, tags: x.tags });
const inc = ff.step({ slug: 'bench_inc', inputs: { x: Payload }, output: Payload }, fn, {
  registry,
});
const seed = { value: 0, label: 'start', tags: ['a', 'b'] };

function direct(n) {
  let x = seed;
  for (let i = 0; i < n; i++) {
    if (!Payload.safeParse(x).success) throw new Error('input');
    const y = fn({ x });
    if (!Payload.safeParse(y).success) throw new Error('output');
    x = y;
  }
  return x;
}

function prepare(n, cache) {
  const store = new ff.MemoryDatumStore();
  store.persist(seed, { cellId: 'seed' });
  const workflow = new ff.Workflow({ known: (id) => store.has(id) });
  let previous = 'seed';
  for (let i = 0; i < n; i++) {
    const s = inc({ x: previous }, {}, { id: `s${i}` });
    workflow.add(s);
    previous = s.id;
  }
  const orchestrator = new ff.Orchestrator({ store, registry, ...(cache ? { cache: {} } : {}) });
  return { store, workflow, orchestrator };
}

async function perStepBench() {
  const N = 10_000;
  const rounds = QUICK ? 3 : 9;
  const variants = {
    floor: async () => {
      if (gc) gc();
      const t0 = performance.now();
      direct(N);
      return performance.now() - t0;
    },
    'cache off': async () => {
      const p = prepare(N, false);
      if (gc) gc();
      const t0 = performance.now();
      await p.orchestrator.run(p.workflow);
      return performance.now() - t0;
    },
    'cache on, all misses': async () => {
      const p = prepare(N, true);
      if (gc) gc();
      const t0 = performance.now();
      await p.orchestrator.run(p.workflow);
      return performance.now() - t0;
    },
    'cache on, all hits': async () => {
      const p = prepare(N, true);
      await p.orchestrator.run(p.workflow);
      if (gc) gc();
      const t0 = performance.now();
      const report = await p.orchestrator.run(p.workflow);
      const ms = performance.now() - t0;
      if (report.steps[N - 1].status !== 'cached') throw new Error('not a hit');
      return ms;
    },
  };
  // one small completed run of each variant stays alive (see bench/README.md)
  for (const cache of [false, true]) {
    const p = prepare(10, cache);
    keepAlive.push(p, await p.orchestrator.run(p.workflow));
  }
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of rotate(Object.keys(variants), r)) samples[name].push(await variants[name]());
  }
  const us = (name) => (1000 * median(samples[name])) / N;
  const floor = us('floor');
  for (const name of Object.keys(variants)) {
    const extra =
      name === 'floor' ? '' : `, ${(us(name) - us('cache off')).toFixed(2)} us over cache off`;
    console.log(
      `N=${N} chain, ${name}: ${us(name).toFixed(2)} us/step (${(us(name) / floor).toFixed(2)}x floor${name === 'floor' ? '' : extra})`,
    );
  }
}

// ---- 3. hash speed ---------------------------------------------------------------------------
async function hashBench() {
  await ff.hashReady();
  const xxh = await createXXHash128();
  const bytes = new Uint8Array(16 << 20);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  const text = JSON.stringify({ threshold: 0.3, columns: ['a', 'b', 'c'], note: 'x'.repeat(200) });
  const rounds = QUICK ? 3 : 7;
  const big = {
    '64-bit JS hash (before)': () => new Hasher64().bytes(bytes).digest(),
    'XXH3-128 (hash-wasm)': () => xxh.init().update(bytes).digest(),
    'XXH3-128 Hash128 stream': () => new ff.Hash128().update(bytes).digest(),
  };
  const small = {
    '64-bit JS hash (before)': () => new Hasher64().string(text).digest(),
    'XXH3-128 hash128()': () => ff.hash128(text),
  };
  const bigMs = Object.fromEntries(Object.keys(big).map((k) => [k, []]));
  const smallNs = Object.fromEntries(Object.keys(small).map((k) => [k, []]));
  const REPS = 50_000;
  for (let r = 0; r < rounds; r++) {
    for (const name of rotate(Object.keys(big), r)) {
      if (gc) gc();
      const t0 = performance.now();
      big[name]();
      bigMs[name].push(performance.now() - t0);
    }
    for (const name of rotate(Object.keys(small), r)) {
      const f = small[name];
      if (gc) gc();
      const t0 = performance.now();
      for (let i = 0; i < REPS; i++) f();
      smallNs[name].push(((performance.now() - t0) * 1e6) / REPS);
    }
  }
  for (const name of Object.keys(big)) {
    console.log(`hash 16 MiB, ${name}: ${(16 / (median(bigMs[name]) / 1000)).toFixed(0)} MiB/s`);
  }
  for (const name of Object.keys(small)) {
    console.log(`hash a ${text.length}-char text, ${name}: ${median(smallNs[name]).toFixed(0)} ns`);
  }
}

(async () => {
  try {
    await carsBench();
    await perStepBench();
    await hashBench();
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
