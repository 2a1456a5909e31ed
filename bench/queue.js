#!/usr/bin/env node
/**
 * Distributed execution (issue 10): a redis-server on 127.0.0.1 (random port, no persistence) and
 * `fancyflow worker` processes started here, a disk store (durable, the default) in a scratch
 * folder, the coordinator in this process. Every queued figure is printed next to its floors,
 * measured in the same run, in interleaved rounds, with a forced gc before each sample while one
 * small completed run stays alive:
 * - in-process: the same steps run by the Orchestrator in this process against a store of the same
 *   kind and durability in the same scratch folder;
 * - raw BullMQ: a chain of no-op BullMQ jobs on the same Redis (bench/queue/noop-worker.js), each
 *   added when the one before has completed (seen through QueueEvents): what a hop through a
 *   coordinator costs on this machine now;
 * - raw BullMQ hand-on: a chain of no-op jobs each of which adds the next before it finishes, so
 *   finishing it fetches the next in the same round trip: the least a chain of one BullMQ job per
 *   step costs here (what fancyflow's chains did until they became one job, each step's report
 *   sent as the job's progress).
 * Figures:
 * - per-step overhead of a queued chain: (queued - in-process) / N for a chain of N trivial steps
 *   (target ≤ 1.5 ms per step, read against the raw BullMQ chains);
 * - throughput of independent trivial steps on 2 workers (steps per second), against in-process;
 * - a CPU-bound row_wise step over 1e6 rows on 2 workers vs 1 (target ≥ 1.7×), and in-process.
 * The scratch folder is FANCYFLOW_BENCH_DIR, else /dev/shm where it exists (fsync there costs no
 * disk round trip, so a shared machine's disk noise does not swamp milliseconds), else the OS temp
 * folder; it is printed. FANCYFLOW_BENCH_ROUNDS (default 400) sets the row_wise arithmetic;
 * FANCYFLOW_BENCH_ONLY (a comma list of `chain`, `independent`, `rowwise`) runs some parts only.
 * Benchmarks print; they never fail on time.
 *
 * Run after `npm run build`: node --expose-gc bench/queue.js
 *
 * Figures, with the load they were taken at: bench/README.md (the queue table).
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
const { DEFAULT_PART_ROWS: PART_ROWS } = require('../dist/engines/queue/protocol');
const { cacheSettings } = require('../dist/kernel/step-code');
require(STEPS);

const { Queue, QueueEvents } = require('bullmq');

const gc = typeof globalThis.gc === 'function' ? globalThis.gc : undefined;
if (!gc) console.warn('warning: run with --expose-gc for steady figures');

const children = new Set();
const scratchParent =
  process.env.FANCYFLOW_BENCH_DIR ?? (fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir());
const scratch = fs.mkdtempSync(path.join(scratchParent, 'ff-bench-queue-'));
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

/**
 * The in-process run the queued one is compared with: what `fancyflow run` without `--queue` does,
 * the cache on (as it is on the workers), so both sides do the same work for each step.
 */
async function local(workflow) {
  const { store } = await freshStore();
  gc?.();
  const t0 = performance.now();
  const report = await new ff.Orchestrator({ store, cache: cacheSettings(ROOT) }).run(workflow);
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
    gc?.();
    const t0 = performance.now();
    const report = await engine.run(workflow, { baseDir: ROOT, modules: [STEPS], ...options });
    if (report.status !== 'completed') throw new Error(JSON.stringify(report.steps.at(-1)));
    return { ms: performance.now() - t0, report };
  } finally {
    await engine.close();
  }
}

/**
 * The floors' queue and events, made once: a QueueEvents made per sample may miss the first events
 * (its blocking read starts from the stream's end only when it is first issued).
 */
async function floorQueue(url) {
  const { hostname, port } = new URL(url);
  const connection = { host: hostname, port: Number(port) };
  const queue = new Queue('floor', { connection, prefix: 'fancyflow-floor' });
  const events = new QueueEvents('floor', { connection, prefix: 'fancyflow-floor' });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  const waiting = new Map();
  events.on('completed', ({ jobId }) => waiting.get(jobId)?.());
  const completion = (jobId) =>
    new Promise((resolve) =>
      waiting.set(jobId, () => {
        waiting.delete(jobId);
        resolve();
      }),
    );
  // a job that completes proves the events' read is under way
  const probe = `probe-${Date.now()}`;
  const done = completion(probe);
  await queue.add('noop', { run: probe, left: 0 }, { jobId: probe });
  await done;
  return { queue, completion, close: () => Promise.all([events.close(), queue.close()]) };
}

/**
 * A chain of `n` no-op BullMQ jobs on the noop worker, each added by this process when the one
 * before has completed (seen through QueueEvents): the hop through a coordinator. ms per job.
 */
async function rawChain({ queue, completion }, n) {
  const run = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  gc?.();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const jobId = `${run}.${i}`;
    const done = completion(jobId);
    await queue.add(
      'noop',
      { run, left: 0 },
      { jobId, removeOnComplete: { age: 3600, count: 10_000 } },
    );
    await done;
  }
  return (performance.now() - t0) / n;
}

/**
 * A chain of `n` no-op BullMQ jobs that the noop worker hands on itself: each job adds the next
 * before it finishes (as fancyflow's workers did while a chain was one job per step); this process
 * adds the first and waits for the last. ms per job.
 */
async function rawHandOn({ queue, completion }, n) {
  const run = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const done = completion(`${run}.0`);
  gc?.();
  const t0 = performance.now();
  await queue.add(
    'noop',
    { run, left: n - 1 },
    { jobId: `${run}.${n - 1}`, removeOnComplete: { age: 3600, count: 10_000 } },
  );
  await done;
  return (performance.now() - t0) / n;
}

const only = process.env.FANCYFLOW_BENCH_ONLY?.split(',');
const runs = (part) => !only || only.includes(part);

/** The load average and the CPU pressure ("some", last 60 s) now, for the figures' context. */
function load() {
  let pressure = '';
  try {
    const some = /some avg10=([\d.]+) avg60=([\d.]+)/.exec(
      fs.readFileSync('/proc/pressure/cpu', 'utf8'),
    );
    if (some) pressure = `, CPU pressure ${some[2]} % (60 s)`;
  } catch {
    // no PSI here
  }
  return `load ${os.loadavg()[0].toFixed(1)}${pressure}`;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(2)} ms`);
const list = (xs, f = fmt) => xs.map(f).join(', ');

async function main() {
  const port = await freePort();
  const redis = await startProcess(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
    /Ready to accept connections/,
  );
  const url = `redis://127.0.0.1:${port}`;
  console.log(
    `scratch folder (stores): ${scratch}; ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`,
  );
  // one small completed run stays alive, so a forced gc never drops the optimized code measured
  const keepAlive = await local(chain(5));

  // 1. a chain: every step waits for the one before
  if (runs('chain')) await chainPart(url);
  if (runs('independent')) await independentPart(url);
  if (runs('rowwise')) await rowWisePart(url);
  void keepAlive;
  redis.kill('SIGKILL');
}

async function chainPart(url) {
  console.log(`chain: ${load()}`);
  const workers = await startWorkers(url, 1);
  const noop = await startProcess(
    process.execPath,
    [path.join(__dirname, 'queue', 'noop-worker.js'), url],
    /ready \(pid/,
  );
  const N = 200;
  const ROUNDS = 5;
  await queued(url, chain(20)); // warm up the worker and the connections
  const floor = await floorQueue(url);
  await rawChain(floor, 20);
  await rawHandOn(floor, 20);
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    // the order rotates, so no variant always follows the same one
    const sample = {};
    const variants = [
      async () => (sample.local = (await local(chain(N))).ms / N),
      async () => (sample.queued = (await queued(url, chain(N))).ms / N),
      async () => (sample.raw = await rawChain(floor, N)),
      async () => (sample.handOn = await rawHandOn(floor, N)),
    ];
    for (let k = 0; k < variants.length; k++) await variants[(r + k) % variants.length]();
    rounds.push(sample);
  }
  await floor.close();
  stopWorkers([noop]);
  const over = rounds.map((p) => p.queued - p.local);
  const aboveRaw = rounds.map((p) => p.queued - p.local - p.raw);
  const aboveHandOn = rounds.map((p) => p.queued - p.local - p.handOn);
  console.log(
    `chain of ${N} trivial steps, disk store, 1 worker (${ROUNDS} rounds): ` +
      `in-process ${fmt(median(rounds.map((p) => p.local)))}/step, queued ${fmt(median(rounds.map((p) => p.queued)))}/step: ` +
      `overhead ${fmt(median(over))}/step (rounds: ${list(over)}; target ≤ 1.5 ms); ` +
      `raw BullMQ chain ${fmt(median(rounds.map((p) => p.raw)))}/job (rounds: ${list(rounds.map((p) => p.raw))})` +
      `; overhead above the raw chain ${fmt(median(aboveRaw))}/step (rounds: ${list(aboveRaw)})` +
      `; raw BullMQ hand-on chain (each job adds the next) ${fmt(median(rounds.map((p) => p.handOn)))}/job ` +
      `(rounds: ${list(rounds.map((p) => p.handOn))}); overhead above it ${fmt(median(aboveHandOn))}/step ` +
      `(rounds: ${list(aboveHandOn)})`,
  );
  stopWorkers(workers);
  console.log(`  after: ${load()}`);
}

// 2. independent steps on 2 workers
async function independentPart(url) {
  console.log(`independent: ${load()}`);
  const workers = await startWorkers(url, 2);
  await queued(url, independent(50));
  const M = 1000;
  const rates = { queued: [], local: [] };
  for (let r = 0; r < 3; r++) {
    const variants = [
      async () => rates.queued.push((M / (await queued(url, independent(M))).ms) * 1000),
      async () => rates.local.push((M / (await local(independent(M))).ms) * 1000),
    ];
    for (let k = 0; k < variants.length; k++) await variants[(r + k) % variants.length]();
  }
  const round = (x) => String(Math.round(x));
  console.log(
    `${M} independent trivial steps, disk store, 2 workers: ${round(median(rates.queued))} steps/s ` +
      `(rounds: ${list(rates.queued, round)}); in-process ${round(median(rates.local))} steps/s ` +
      `(rounds: ${list(rates.local, round)})`,
  );
  stopWorkers(workers);
  console.log(`  after: ${load()}`);
}

// 3. a CPU-bound row_wise step over 1e6 rows: 2 workers vs 1 (on 2 cores), in interleaved
// rounds, next to the raw parallel floor: the same arithmetic in 1 plain process vs 2 (what two
// processes get from this machine now)
async function rowWisePart(url) {
  console.log(`row_wise: ${load()}`);
  const ROWS = 1_000_000;
  const ARITHMETIC = Number(process.env.FANCYFLOW_BENCH_ROUNDS ?? 400);
  const stepMs = (report) => report.steps.find((s) => s.stepId === 'burned').durationMs;
  const onWorkers = async (count) => {
    const started = await startWorkers(url, count);
    try {
      // warm workers, as in the chain part (a worker serves run after run): a small split run
      // first, so that no worker's first part pays for its code's first compilation
      await queued(url, rowWise(4 * PART_ROWS, 10));
      return stepMs((await queued(url, rowWise(ROWS, ARITHMETIC))).report);
    } finally {
      stopWorkers(started);
    }
  };
  const burn = async (count) => {
    gc?.();
    const t0 = performance.now();
    const size = Math.ceil(ROWS / count);
    await Promise.all(
      Array.from(
        { length: count },
        (_, i) =>
          new Promise((resolve, reject) => {
            const range = [i * size, Math.min(ROWS, (i + 1) * size), ARITHMETIC].map(String);
            const child = spawn(
              process.execPath,
              [path.join(__dirname, 'queue', 'burn.js'), ...range],
              {
                stdio: 'ignore',
              },
            );
            child.once('error', reject);
            child.once('close', (code) =>
              code === 0 ? resolve() : reject(new Error(`burn.js: ${code}`)),
            );
          }),
      ),
    );
    return performance.now() - t0;
  };
  const split = { one: [], two: [], raw1: [], raw2: [], local: [] };
  for (let r = 0; r < 2; r++) {
    const variants = [
      async () => split.two.push(await onWorkers(2)),
      async () => split.one.push(await onWorkers(1)),
      async () => split.raw2.push(await burn(2)),
      async () => split.raw1.push(await burn(1)),
      async () => split.local.push(stepMs((await local(rowWise(ROWS, ARITHMETIC))).report)),
    ];
    for (let k = 0; k < variants.length; k++) await variants[(r * 2 + k) % variants.length]();
  }
  const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
  console.log(
    `row_wise step over ${ROWS} rows (${ARITHMETIC} rounds of arithmetic per row), ` +
      `${Math.ceil(ROWS / PART_ROWS)} parts, 2 rounds: 1 worker ${list(split.one)}, 2 workers ${list(split.two)}: ` +
      `${list(
        split.one.map((one, i) => ratio(one, split.two[i])),
        String,
      )} (target ≥ 1.7×); ` +
      `in-process ${list(split.local)}; the raw parallel floor (the arithmetic alone in plain processes): ` +
      `1 process ${list(split.raw1)}, 2 processes ${list(split.raw2)}: ` +
      `${list(
        split.raw1.map((one, i) => ratio(one, split.raw2[i])),
        String,
      )}`,
  );
  console.log(`  after: ${load()}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
