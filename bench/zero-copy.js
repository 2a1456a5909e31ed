#!/usr/bin/env node
/**
 * Zero copies through the Orchestrator: an 8 MB Float64Array and a 1e6-row Arrow table each pass
 * through 10 identity steps with contracts (bytes / table) and a MemoryDatumStore. Verifies that
 * every step received and returned the very same object (===) and prints heap and ArrayBuffer
 * growth beside the payload's size. Target (issue 2): zero copies, growth at most one payload.
 *
 * Run after `npm run build`, with --expose-gc for steady figures: node --expose-gc bench/zero-copy.js
 */
'use strict';
const arrow = require('apache-arrow');
const ff = require('../dist');

const STEPS = 10;
const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => undefined;

function memory() {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}

async function pass(label, payload, contract, payloadBytes) {
  const registry = new ff.FunctionRegistry();
  const seen = [];
  const identity = ff.step(
    { slug: 'identity', inputs: { x: contract }, output: contract },
    ({ x }) => {
      seen.push(x);
      return x;
    },
    { registry },
  );
  const store = new ff.MemoryDatumStore();
  store.persist(payload, { cellId: 'input' });
  const wf = new ff.Workflow({ known: (id) => store.has(id) });
  let previous = 'input';
  for (let i = 0; i < STEPS; i++) {
    const s = identity({ x: previous }, {}, { id: `step${i}` });
    wf.add(s);
    previous = s;
  }
  const orchestrator = new ff.Orchestrator({ store, registry });
  const before = memory();
  const t0 = performance.now();
  const report = await orchestrator.run(wf);
  const ms = performance.now() - t0;
  const after = memory();
  if (report.status !== 'completed') throw new Error(`${label}: run ${report.status}`);
  const outputs = wf.steps.map((s) => store.resolve(s.id));
  const same = seen.every((x) => x === payload) && outputs.every((x) => x === payload);
  const heap = after.heap - before.heap;
  const buffers = after.buffers - before.buffers;
  return { label, payloadBytes, same, seen: seen.length, heap, buffers, ms };
}

function mb(bytes) {
  return (bytes / 1e6).toFixed(2).padStart(8);
}

(async () => {
  const N = 1_000_000;
  const f64 = new Float64Array(N).map((_, i) => i * 0.5);
  const strings = Array.from({ length: N }, (_, i) => `s${i % 5000}`);
  const table = new arrow.Table({
    a: arrow.makeVector(new Float64Array(N).map((_, i) => Math.sin(i))),
    b: arrow.makeVector(new Float64Array(N)),
    c: arrow.makeVector(new Int32Array(N).map((_, i) => i)),
    s: utf8(strings),
  });
  const tableBytes = ff.tableAdapterFor(table).byteSize(table);
  const rows = [
    await pass('Float64Array 8 MB', f64, ff.bytes(), f64.byteLength),
    await pass(
      'arrow.Table 1e6 rows',
      table,
      ff.arrowTable({ a: 'number', c: 'integer', s: 'string' }),
      tableBytes,
    ),
  ];
  console.log(`${STEPS} identity steps with contracts, MemoryDatumStore; memory measured after gc`);
  console.log(
    `${'payload'.padEnd(22)}${'MB'.padStart(8)}${'same ===?'.padStart(11)}${'heap +MB'.padStart(10)}${'buffers +MB'.padStart(13)}${'growth/payload'.padStart(16)}${'run ms'.padStart(9)}`,
  );
  for (const r of rows) {
    const growth = (Math.max(0, r.heap) + Math.max(0, r.buffers)) / r.payloadBytes;
    console.log(
      `${r.label.padEnd(22)}${mb(r.payloadBytes)}${String(r.same && r.seen === STEPS ? 'yes' : 'NO').padStart(11)}${mb(r.heap).padStart(10)}${mb(r.buffers).padStart(13)}${growth.toFixed(3).padStart(16)}${r.ms.toFixed(1).padStart(9)}`,
    );
    if (!r.same) process.exitCode = 1;
  }
  console.log('same ===? : every step received and returned the payload object itself (no copy)');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});

function utf8(values) {
  const offsets = new Int32Array(values.length + 1);
  const encoder = new TextEncoder();
  let data = new Uint8Array(values.length * 8);
  let pos = 0;
  for (let i = 0; i < values.length; i++) {
    pos += encoder.encodeInto(values[i], data.subarray(pos)).written;
    offsets[i + 1] = pos;
  }
  data = data.subarray(0, pos);
  return arrow.makeVector(
    arrow.makeData({
      type: new arrow.Utf8(),
      length: values.length,
      nullCount: 0,
      valueOffsets: offsets,
      data,
    }),
  );
}
