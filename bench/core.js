#!/usr/bin/env node
/**
 * Orchestrator overhead per step: chains of N trivial validated steps run by `Orchestrator.run`
 * against a MemoryDatumStore, without and with an event listener (what the CLI and the kernel
 * pass), beside the floor: a bare loop doing the same zod checks (input and output) and the same
 * function call, and a second floor: a plain hand-written loop over the same steps that also keeps
 * every output (in a Map, under a small cell) and a status and two times per step, as any
 * orchestrator must (a store keeps every output). Also the run plus reading its whole report (JSON.stringify: every step's report
 * is made when first read), and a long-lived Orchestrator's memory as it runs ever new step ids.
 *
 * Method (see bench/README.md): every variant once per round, the order rotating, rounds
 * interleaved so load on the machine hits every variant alike; a forced gc before each sample
 * (run with --expose-gc) while one small completed run of every variant stays alive for the whole
 * process (without it V8 drops the optimized code of classes with no live object on that gc, and
 * the next sample runs 3-10x slower). A sample is 10,000 steps: one run of N = 10,000, or 1,000
 * runs of N = 10 one after the other (so the few microseconds a gc leaves behind in cold caches
 * do not dominate small N). Workflows and stores are built before the gc, outside the timed part:
 * the timed part is `await orchestrator.run(workflow)` alone.
 *
 * Targets (issue 11): <= 0.3 us per step at N = 1,000 and 10,000; N = 10,000 / N = 10 <= 1.2x;
 * with a listener <= 2x the plain run; bounded memory for a long-lived Orchestrator.
 *
 * Run after `npm run build`: node --expose-gc bench/core.js   (BENCH_QUICK=1: fewer rounds)
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const { z } = require('zod');
const ff = require(process.env.BENCH_DIST || '../dist');

const gc = typeof globalThis.gc === 'function' ? globalThis.gc : undefined;
if (!gc) console.warn('warning: run with --expose-gc for steady figures');
const QUICK = process.env.BENCH_QUICK === '1';

const Payload = z.object({ value: z.number(), label: z.string(), tags: z.array(z.string()) });
const registry = new ff.FunctionRegistry();
const fn = ({ x }) => ({ value: x.value + 1, label: x.label, tags: x.tags });
const inc = ff.step({ slug: 'bench_inc', inputs: { x: Payload }, output: Payload }, fn, {
  registry,
});
const seed = { value: 0, label: 'start', tags: ['a', 'b'] };

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

// ---- the floor: the same zod checks and call in a bare loop ------------------------------------
function direct(n) {
  let x = seed;
  for (let i = 0; i < n; i++) {
    if (!Payload.safeParse(x).success) throw new Error('input');
    const y = fn({ x });
    if (!Payload.safeParse(y).success) throw new Error('output');
    x = y;
  }
  if (x.value !== n) throw new Error('wrong result');
  return x;
}

// ---- the second floor: a plain loop that keeps its outputs, as any orchestrator must --------------
/**
 * The same chain (the same WorkflowSteps) run by a straightforward hand-written loop that does what
 * every orchestrator must: each input looked up in a Map of outputs, the same zod checks in and out, the
 * call (with the step's config and a context), the output kept in that Map under a small cell (id,
 * value, time, producing step), a status and two clock readings per step. Unlike the bare loop its
 * outputs stay alive, as a store's do, so their allocation costs here what it costs in a run (the
 * scavenger promotes them, the next full gc marks them). Keeping them is most of a step's cost
 * here: the same loop dropping each output after the next step used it took 0.14-0.22 us per step,
 * keeping them 0.37-1.3 (a probe, 4 rounds of N = 1,000 and 10,000).
 */
function prepareKeeping(n) {
  const outputs = new Map([['seed', { id: 'seed', value: seed, at: 0, producedBy: undefined }]]);
  const steps = buildChain(n, outputs).steps;
  return { n, steps, outputs };
}

function keepingLoop({ steps, outputs }) {
  const n = steps.length;
  const codes = new Uint8Array(n);
  const times = new Float64Array(2 * n);
  let t = performance.now();
  for (let i = 0; i < n; i++) {
    const step = steps[i];
    codes[i] = 1;
    times[2 * i] = t;
    const inputs = {};
    for (const argument in step.wiring) {
      const cell = outputs.get(step.wiring[argument]);
      if (cell === undefined) throw new Error('missing input');
      inputs[argument] = cell.value;
    }
    for (const argument in inputs) {
      if (!Payload.safeParse(inputs[argument]).success) throw new Error('input');
    }
    const value = fn(inputs, step.config, { stepId: step.id });
    if (!Payload.safeParse(value).success) throw new Error('output');
    t = performance.now();
    outputs.set(step.id, { id: step.id, value, at: t, producedBy: step.slug });
    codes[i] = 2;
    times[2 * i + 1] = t;
  }
  return { codes, times };
}

// ---- the Orchestrator ------------------------------------------------------------------------
function buildChain(n, store, prefix = 's') {
  const wf = new ff.Workflow({ known: (id) => store.has(id) });
  let previous = 'seed';
  for (let i = 0; i < n; i++) {
    const s = inc({ x: previous }, {}, { id: `${prefix}${i}` });
    wf.add(s);
    previous = s.id;
  }
  return wf;
}

/** A store, a workflow and an Orchestrator ready to run (built outside the timed part). */
function prepare(n, listener) {
  const store = new ff.MemoryDatumStore();
  store.persist(seed, { cellId: 'seed' });
  const workflow = buildChain(n, store);
  const orchestrator = new ff.Orchestrator({ store, registry });
  const options = listener ? { onEvent: listener } : {};
  return { n, store, workflow, orchestrator, options };
}

async function run(prepared) {
  const report = await prepared.orchestrator.run(prepared.workflow, prepared.options);
  return report;
}

function check(prepared, report) {
  const n = prepared.n;
  if (report.status !== 'completed' || prepared.store.resolve(`s${n - 1}`).value !== n) {
    throw new Error('run failed');
  }
}

/**
 * A listener that looks at every event, as a progress display does (status, and the name of a
 * step that starts), and keeps nothing unless told to.
 */
function countingListener(keep) {
  const seen = { events: 0, completed: 0, kept: [] };
  const listener = (event) => {
    seen.events++;
    if (event.type !== 'step-status') return;
    if (event.status === 'completed') seen.completed++;
    else if (event.status === 'running' && event.name === '') throw new Error('no name');
    if (keep) seen.kept.push(event);
  };
  listener.seen = seen;
  return listener;
}

/** Steps per sample: small N runs many workflows per sample, so a sample is never a few us. */
const STEPS_PER_SAMPLE = 10000;

/** CPU milliseconds (user + system, all threads) since `c0`, a `process.cpuUsage()` reading. */
function cpuSince(c0) {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** The CPU time of the last sample, per run (ms): waiting for a core does not count in it. */
let lastCpu = 0;

async function sample(kind, n) {
  const runs = Math.max(1, Math.round(STEPS_PER_SAMPLE / n));
  if (kind === 'direct') {
    gc?.();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let r = 0; r < runs; r++) direct(n);
    const dt = performance.now() - t0;
    lastCpu = cpuSince(c0) / runs;
    return dt / runs;
  }
  if (kind === 'keeping') {
    const prepared = Array.from({ length: runs }, () => prepareKeeping(n));
    const results = new Array(runs);
    gc?.();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let r = 0; r < runs; r++) results[r] = keepingLoop(prepared[r]);
    const dt = performance.now() - t0;
    lastCpu = cpuSince(c0) / runs;
    for (const { n: m, outputs } of prepared) {
      if (outputs.get(`s${m - 1}`).value.value !== m) throw new Error('keeping loop failed');
    }
    return dt / runs;
  }
  const listeners = [];
  const prepared = [];
  for (let r = 0; r < runs; r++) {
    const listener = kind === 'listener' ? countingListener(false) : undefined;
    if (listener) listeners.push(listener);
    prepared.push(prepare(n, listener));
  }
  const reports = new Array(runs);
  gc?.();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  if (kind === 'report') {
    // the whole report read: every step's report made and serialised
    for (let r = 0; r < runs; r++) reports[r] = JSON.stringify(await run(prepared[r]));
  } else {
    for (let r = 0; r < runs; r++) reports[r] = await run(prepared[r]);
  }
  const dt = performance.now() - t0;
  lastCpu = cpuSince(c0) / runs;
  if (kind === 'report') {
    for (let r = 0; r < runs; r++) reports[r] = JSON.parse(reports[r]);
    if (reports[0].steps.length !== n || !reports[0].steps[n - 1].summary)
      throw new Error('report');
  }
  for (let r = 0; r < runs; r++) check(prepared[r], reports[r]);
  for (const listener of listeners) if (listener.seen.completed !== n) throw new Error('events');
  return dt / runs;
}

// ---- one small completed run of each variant, alive for the whole process ---------------------
const keepAlive = [];

async function smallRuns() {
  keepAlive.push(direct(10));
  const small = prepareKeeping(10);
  keepAlive.push(small, keepingLoop(small));
  // with a listener that keeps the events of its run (as a UI keeps the last state it showed)
  for (const listener of [undefined, countingListener(true)]) {
    const prepared = prepare(10, listener);
    const report = await run(prepared);
    check(prepared, report);
    keepAlive.push(prepared, report, JSON.stringify(report));
  }
}

// ---- the run beside the keeping loop (its own rounds: in the rounds above, the keeping loop's
// samples made the plain run's faster and so moved the listener's ratio) --------------------------
async function againstKeeping(sizes) {
  console.log(
    'beside a plain hand-written loop that keeps its outputs (over the same steps: a Map of outputs, the same zod checks and call, a small cell, a status and two times per step); own interleaved rounds:',
  );
  console.log(
    `${'N'.padStart(6)} ${'bare loop'.padStart(10)} ${'keeping loop'.padStart(13)} ${'run'.padStart(8)} ${'run/keeping'.padStart(12)} ${'paired'.padStart(7)}`,
  );
  const kinds = ['direct', 'keeping', 'plain'];
  for (let i = 0; i < 3; i++) for (const k of kinds) await sample(k, 1000);
  for (const n of sizes) {
    const times = { direct: [], keeping: [], plain: [] };
    for (let r = 0; r < (QUICK ? 7 : 21); r++) {
      for (let i = 0; i < kinds.length; i++) {
        const kind = kinds[(i + r) % kinds.length];
        times[kind].push(await sample(kind, n));
      }
    }
    const perStep = (kind) => (quantile(times[kind], 0.5) / n) * 1000;
    const paired = quantile(
      times.plain.map((t, r) => t / times.keeping[r]),
      0.5,
    );
    const f = (x) => x.toFixed(3);
    console.log(
      `${String(n).padStart(6)} ${f(perStep('direct')).padStart(10)} ${f(perStep('keeping')).padStart(13)} ${f(perStep('plain')).padStart(8)} ${`${(perStep('plain') / perStep('keeping')).toFixed(2)}x`.padStart(12)} ${`${paired.toFixed(2)}x`.padStart(7)}`,
    );
  }
}

// ---- a long-lived Orchestrator ------------------------------------------------------------------
async function longLived() {
  const store = new ff.MemoryDatumStore();
  store.persist(seed, { cellId: 'seed' });
  const orchestrator = new ff.Orchestrator({ store, registry });
  const heap = () => {
    gc?.();
    gc?.();
    return process.memoryUsage().heapUsed;
  };
  // the Orchestrator remembers the statuses of its latest 10,000 step ids (statusLimit): memory
  // grows up to that and must stay flat after it; `before` is taken once the limit is reached
  const runs = QUICK ? 30 : 60;
  const perRun = 1000;
  const limitRuns = 10_000 / perRun;
  const points = [];
  let before;
  for (let r = 0; r < runs; r++) {
    // fresh step ids every run; the store forgets the outputs so that only the Orchestrator's
    // own memory is left (what a kernel that runs ever new cells keeps)
    const workflow = buildChain(perRun, store, `r${r}-`);
    await orchestrator.run(workflow);
    for (let i = 0; i < perRun; i++) store.delete(`r${r}-${i}`);
    if (r === limitRuns) before = heap();
    if ((r + 1) % 10 === 0) points.push({ ids: (r + 1) * perRun, heap: heap() });
  }
  const after = heap();
  const ids = (runs - limitRuns - 1) * perRun;
  return { before, after, ids, points, perId: (after - before) / ids, keep: orchestrator };
}

function loadLine() {
  let psi = 'unknown';
  try {
    psi = fs
      .readFileSync('/proc/pressure/cpu', 'utf8')
      .split('\n')[0]
      .replace(/^some /, '');
  } catch {
    // not Linux
  }
  return `load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${os.cpus().length} cores; CPU pressure (some) ${psi}`;
}

async function main() {
  console.log(`before: ${loadLine()}`);
  await smallRuns();
  const kinds = ['direct', 'plain', 'listener', 'report'];
  // warm-up: every path hot before the first sample
  for (let i = 0; i < 5; i++) for (const k of kinds) await sample(k, 1000);
  const sizes = [10, 100, 1000, 10000];
  const rows = [];
  for (const n of sizes) {
    const reps = QUICK ? 7 : 21;
    const times = { direct: [], plain: [], listener: [], report: [] };
    const cpu = { direct: [], plain: [], listener: [], report: [] };
    for (let r = 0; r < reps; r++) {
      for (let i = 0; i < kinds.length; i++) {
        const kind = kinds[(i + r) % kinds.length];
        times[kind].push(await sample(kind, n));
        cpu[kind].push(lastCpu);
      }
    }
    // ratios within a round (the samples of one round met the same load on a shared machine): the
    // median of these is steadier than a ratio of medians when the machine is busy
    const paired = (a, b, of = times) =>
      quantile(
        of[a].map((t, r) => t / of[b][r]),
        0.5,
      );
    const cpuPerStep = (kind) => (quantile(cpu[kind], 0.5) / n) * 1000;
    const perStep = (kind, q) => (quantile(times[kind], q) / n) * 1000; // per-run ms -> us/step
    rows.push({
      n,
      reps,
      direct: perStep('direct', 0.5),
      plain: perStep('plain', 0.5),
      plainLow: perStep('plain', 0.25),
      plainHigh: perStep('plain', 0.75),
      listener: perStep('listener', 0.5),
      listenerLow: perStep('listener', 0.25),
      listenerHigh: perStep('listener', 0.75),
      report: perStep('report', 0.5),
      runPerBare: paired('plain', 'direct'),
      listenerPerRun: paired('listener', 'plain'),
      cpuDirect: cpuPerStep('direct'),
      cpuPlain: cpuPerStep('plain'),
      cpuListener: cpuPerStep('listener'),
      cpuRunPerBare: paired('plain', 'direct', cpu),
      cpuListenerPerRun: paired('listener', 'plain', cpu),
    });
  }
  console.log(
    'Orchestrator overhead per trivial validated step (microseconds per step; median, [p25-p75])',
  );
  console.log(
    `${'N'.padStart(6)} ${'reps'.padStart(5)} ${'bare loop'.padStart(10)} ${'run'.padStart(20)} ${'run + listener'.padStart(20)} ${'listener/run'.padStart(13)} ${'run/bare'.padStart(9)} ${'run + JSON report'.padStart(18)}   paired: run/bare listener/run`,
  );
  const f = (x) => x.toFixed(3);
  for (const r of rows) {
    console.log(
      `${String(r.n).padStart(6)} ${String(r.reps).padStart(5)} ${f(r.direct).padStart(10)} ${`${f(r.plain)} [${f(r.plainLow)}-${f(r.plainHigh)}]`.padStart(20)} ${`${f(r.listener)} [${f(r.listenerLow)}-${f(r.listenerHigh)}]`.padStart(20)} ${`${(r.listener / r.plain).toFixed(2)}x`.padStart(13)} ${`${(r.plain / r.direct).toFixed(1)}x`.padStart(9)} ${f(r.report).padStart(18)}   ${`${r.runPerBare.toFixed(1)}x`.padStart(16)} ${`${r.listenerPerRun.toFixed(2)}x`.padStart(12)}`,
    );
  }
  console.log(
    'CPU time (user + system of all threads: time spent waiting for a core is not in it) per step, median; paired ratios',
  );
  console.log(
    `${'N'.padStart(6)} ${'bare loop'.padStart(10)} ${'run'.padStart(8)} ${'run + listener'.padStart(15)} ${'run/bare'.padStart(9)} ${'listener/run'.padStart(13)}`,
  );
  for (const r of rows) {
    console.log(
      `${String(r.n).padStart(6)} ${f(r.cpuDirect).padStart(10)} ${f(r.cpuPlain).padStart(8)} ${f(r.cpuListener).padStart(15)} ${`${r.cpuRunPerBare.toFixed(1)}x`.padStart(9)} ${`${r.cpuListenerPerRun.toFixed(2)}x`.padStart(13)}`,
    );
  }
  const at = (n) => rows.find((r) => r.n === n);
  console.log(
    `flatness: run per step at N=10,000 / N=10 = ${(at(10000).plain / at(10).plain).toFixed(2)}x (target <= 1.2x); with listener ${(at(10000).listener / at(10).listener).toFixed(2)}x; in CPU time ${(at(10000).cpuPlain / at(10).cpuPlain).toFixed(2)}x`,
  );
  console.log(
    `targets: run <= 0.3 us per step at N=1,000 (${f(at(1000).plain)}) and N=10,000 (${f(at(10000).plain)}); listener <= 2x the run`,
  );
  await againstKeeping(sizes);
  const mem = await longLived();
  console.log(
    `long-lived Orchestrator (statusLimit 10,000), ${mem.ids.toLocaleString('en')} more fresh step ids run after the limit (1,000 per run, outputs deleted from the store): heap ${(mem.before / 1e6).toFixed(1)} MB -> ${(mem.after / 1e6).toFixed(1)} MB, ${mem.perId.toFixed(1)} B per step id beyond the limit (target ~0; ` +
      mem.points.map((p) => `${p.ids / 1000}k ids: ${(p.heap / 1e6).toFixed(1)} MB`).join(', ') +
      ')',
  );
  console.log(`after: ${loadLine()}; ${keepAlive.length} small runs kept alive`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
