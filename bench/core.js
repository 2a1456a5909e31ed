#!/usr/bin/env node
/**
 * Orchestrator overhead per step: chains of N trivial validated steps, beside a direct loop that
 * does the same zod validation (input and output) and the same function call, in the same run.
 * Targets (issue 2): at most 3x the direct validated call; per-step cost at N = 1,000 at most 1.5x
 * the cost at N = 10.
 */
'use strict';
const { z } = require('zod');
const ff = require('../dist');

const Payload = z.object({ value: z.number(), label: z.string(), tags: z.array(z.string()) });
const registry = new ff.FunctionRegistry();
const fn = ({ x }) => ({ value: x.value + 1, label: x.label, tags: x.tags });
const inc = ff.step({ slug: 'bench_inc', inputs: { x: Payload }, output: Payload }, fn, {
  registry,
});
const seed = { value: 0, label: 'start', tags: ['a', 'b'] };

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function direct(n) {
  let x = seed;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (!Payload.safeParse(x).success) throw new Error('input');
    const y = fn({ x });
    if (!Payload.safeParse(y).success) throw new Error('output');
    x = y;
  }
  const dt = performance.now() - t0;
  if (x.value !== n) throw new Error('wrong result');
  return dt;
}

function buildChain(n, store) {
  const wf = new ff.Workflow({ known: (id) => store.has(id) });
  let previous = 'seed';
  for (let i = 0; i < n; i++) {
    const s = inc({ x: previous }, {}, { id: `s${i}` });
    wf.add(s);
    previous = s.id;
  }
  return wf;
}

async function orchestrated(n) {
  const store = new ff.MemoryDatumStore();
  store.persist(seed, { cellId: 'seed' });
  const wf = buildChain(n, store);
  const orchestrator = new ff.Orchestrator({ store, registry });
  const t0 = performance.now();
  const report = await orchestrator.run(wf);
  const dt = performance.now() - t0;
  if (report.status !== 'completed' || store.resolve(`s${n - 1}`).value !== n) {
    throw new Error('run failed');
  }
  return dt;
}

async function main() {
  const sizes = [10, 100, 1000, 10000];
  // warm up both paths so the JIT has seen them
  for (let i = 0; i < 20; i++) {
    direct(1000);
    await orchestrated(1000);
  }
  const rows = [];
  for (const n of sizes) {
    const reps = Math.max(5, Math.min(200, Math.round(20000 / n)));
    const d = [];
    const o = [];
    for (let r = 0; r < reps; r++) {
      d.push(direct(n));
      o.push(await orchestrated(n));
    }
    const dStep = (median(d) / n) * 1000;
    const oStep = (median(o) / n) * 1000;
    rows.push({ n, reps, dStep, oStep, ratio: oStep / dStep });
  }
  console.log('Orchestrator overhead per step (median, microseconds per step)');
  console.log('     N   reps   direct validated   orchestrated   ratio (target <= 3x)');
  for (const r of rows) {
    console.log(
      `${String(r.n).padStart(6)} ${String(r.reps).padStart(6)} ${r.dStep.toFixed(2).padStart(18)} ${r.oStep
        .toFixed(2)
        .padStart(14)} ${r.ratio.toFixed(2).padStart(7)}x`,
    );
  }
  const at10 = rows.find((r) => r.n === 10).oStep;
  const at1000 = rows.find((r) => r.n === 1000).oStep;
  console.log(`per-step cost at N=1,000 / N=10: ${(at1000 / at10).toFixed(2)}x (target <= 1.5x)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
