#!/usr/bin/env node
/**
 * Distributed execution (issue 10): a redis-server on 127.0.0.1 (random port, no persistence) and
 * `fancyflow worker` processes started here, a disk store in a temp folder, the coordinator in this
 * process. Figures:
 * - per-step overhead of a queued chain: (queued - local) / N for a chain of N trivial steps, the
 *   same store kind both ways (target ≤ 1.5 ms per step);
 * - throughput of independent trivial steps on 2 workers (steps per second);
 * - a CPU-bound row_wise step over 1e6 rows on 2 workers vs 1 (target ≥ 1.7×).
 * Benchmarks print; they never fail on time.
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'fancyflow.js');
const STEPS = path.join(__dirname, 'queue', 'steps.js');
const ff = require('../dist');
const { QueueEngine } = require('../dist/engines/queue/queue-engine');
require(STEPS);

const children = new Set();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ff-bench-queue-'));
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  fs.rmSync(scratch, { recursive: true, force: true });
});

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function startProcess(command, args, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    const check = (d) => {
      out += d;
      if (ready.test(out)) resolve(child);
    };
    child.stdout.setEncoding('utf8').on('data', check);
    child.stderr.setEncoding('utf8').on('data', check);
    child.once('exit', (code) => reject(new Error(`${command} exited ${code}: ${out}`)));
  });
}

async function startWorkers(url, count) {
  return Promise.all(
    Array.from({ length: count }, () =>
      startProcess(
        process.execPath,
        [BIN, 'worker', '--queue', url, '--quiet', '--steps', STEPS, '--lock-ms', '30000'],
        /ready \(pid/,
      ),
    ),
  );
}

function stopWorkers(workers) {
  for (const w of workers) {
    w.kill('SIGKILL');
    children.delete(w);
  }
}

let storeCounter = 0;
async function freshStore() {
  const dir = path.join(scratch, `store-${++storeCounter}`);
  return { dir, store: await ff.DiskDatumStore.open(dir) };
}

function chain(n) {
  const wf = new ff.Workflow();
  wf.add(ff.defaultRegistry().require('bench_start')({}, {}, { id: 's0' }));
  for (let i = 1; i < n; i++)
    wf.add(ff.defaultRegistry().require('bench_next')({ x: `s${i - 1}` }, {}, { id: `s${i}` }));
  return wf;
}

function independent(n) {
  const wf = new ff.Workflow();
  for (let i = 0; i < n; i++)
    wf.add(ff.defaultRegistry().require('bench_start')({}, {}, { id: `i${i}` }));
  return wf;
}

function rowWise(rows, rounds) {
  const reg = ff.defaultRegistry();
  return new ff.Workflow()
    .add(reg.require('bench_rows')({}, { n: rows }, { id: 'rows' }))
    .add(reg.require('bench_burn')({ table: 'rows' }, { rounds }, { id: 'burned' }));
}

async function local(workflow) {
  const { store } = await freshStore();
  const t0 = performance.now();
  const report = await new ff.Orchestrator({ store }).run(workflow);
  if (report.status !== 'completed') throw new Error(JSON.stringify(report.steps.at(-1)));
  return { ms: performance.now() - t0, report };
}

async function queued(url, workflow, options = {}) {
  const { dir, store } = await freshStore();
  const engine = await QueueEngine.connect({
    url,
    store,
    storeSpec: dir,
    registry: ff.defaultRegistry(),
  });
  try {
    const t0 = performance.now();
    const report = await engine.run(workflow, { baseDir: ROOT, modules: [STEPS], ...options });
    if (report.status !== 'completed') throw new Error(JSON.stringify(report.steps.at(-1)));
    return { ms: performance.now() - t0, report };
  } finally {
    await engine.close();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(2)} ms`);

async function main() {
  const port = await freePort();
  const redis = await startProcess(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
    /Ready to accept connections/,
  );
  const url = `redis://127.0.0.1:${port}`;

  // 1. a chain: every step waits for the one before
  let workers = await startWorkers(url, 1);
  const N = 200;
  await queued(url, chain(20)); // warm up the worker and the connections
  const perStep = [];
  for (let i = 0; i < 3; i++) {
    const l = await local(chain(N));
    const q = await queued(url, chain(N));
    perStep.push({ local: l.ms / N, queued: q.ms / N });
  }
  const over = perStep.map((p) => p.queued - p.local);
  console.log(
    `chain of ${N} trivial steps, disk store, 1 worker: local ${fmt(median(perStep.map((p) => p.local)))}/step, ` +
      `queued ${fmt(median(perStep.map((p) => p.queued)))}/step: overhead ${fmt(median(over))}/step ` +
      `(runs: ${over.map(fmt).join(', ')}; target ≤ 1.5 ms)`,
  );
  stopWorkers(workers);

  // 2. independent steps on 2 workers
  workers = await startWorkers(url, 2);
  await queued(url, independent(50));
  const M = 1000;
  const rates = [];
  for (let i = 0; i < 3; i++) {
    const q = await queued(url, independent(M));
    rates.push((M / q.ms) * 1000);
  }
  const l = await local(independent(M));
  console.log(
    `${M} independent trivial steps, disk store, 2 workers: ${Math.round(median(rates))} steps/s ` +
      `(runs: ${rates.map((r) => Math.round(r)).join(', ')}; the same steps in-process: ${Math.round((M / l.ms) * 1000)} steps/s)`,
  );

  // 3. a CPU-bound row_wise step over 1e6 rows: 2 workers vs 1 (on 2 cores)
  const ROWS = 1_000_000;
  const ROUNDS = Number(process.env.FANCYFLOW_BENCH_ROUNDS ?? 400);
  const stepMs = (report) => report.steps.find((s) => s.stepId === 'burned').durationMs;
  const two = await queued(url, rowWise(ROWS, ROUNDS));
  stopWorkers(workers);
  workers = await startWorkers(url, 1);
  const one = await queued(url, rowWise(ROWS, ROUNDS));
  stopWorkers(workers);
  const inProcess = await local(rowWise(ROWS, ROUNDS));
  console.log(
    `row_wise step over ${ROWS} rows (${ROUNDS} rounds of arithmetic per row), 8 parts: ` +
      `1 worker ${fmt(stepMs(one.report))}, 2 workers ${fmt(stepMs(two.report))}: ` +
      `${(stepMs(one.report) / stepMs(two.report)).toFixed(2)}× (target ≥ 1.7×); in-process ${fmt(stepMs(inProcess.report))}`,
  );
  redis.kill('SIGKILL');
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
