#!/usr/bin/env node
/**
 * DiskDatumStore persist + resolve of a 1e6-row x 4-column table (2 float64, 1 int32, 1 short
 * string), beside writing and reading the same number of raw bytes with `fs` in the same run.
 * Target (issue 2): store time at most 2x the raw floor. Also ingest: building the string column
 * with apache-arrow's `vectorFromArray` vs building UTF-8 offsets directly.
 *
 * Run after `npm run build`: node bench/disk-store.js
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const arrow = require('apache-arrow');
const aq = require('arquero');
const ff = require('../dist');

const N = 1_000_000;
const REPEATS = 5;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn) {
  const t0 = performance.now();
  const out = fn();
  return [performance.now() - t0, out];
}

async function timeAsync(fn) {
  const t0 = performance.now();
  const out = await fn();
  return [performance.now() - t0, out];
}

// ---- data -------------------------------------------------------------------------------------
const a = new Float64Array(N);
const b = new Float64Array(N);
const c = new Int32Array(N);
for (let i = 0; i < N; i++) {
  a[i] = Math.sin(i);
  b[i] = i * 0.25;
  c[i] = i;
}
const strings = Array.from({ length: N }, (_, i) => `s${i % 5000}`);

// ---- ingest: the string column ----------------------------------------------------------------
function utf8ByOffsets(values) {
  const offsets = new Int32Array(values.length + 1);
  let data = new Uint8Array(values.length * 8);
  let pos = 0;
  for (let i = 0; i < values.length; i++) {
    const s = values[i];
    if (pos + s.length * 3 > data.length) {
      const grown = new Uint8Array(data.length * 2 + s.length * 3);
      grown.set(data.subarray(0, pos));
      data = grown;
    }
    let j = 0;
    for (; j < s.length; j++) {
      const code = s.charCodeAt(j);
      if (code >= 0x80) break;
      data[pos++] = code;
    }
    if (j < s.length) pos += new TextEncoder().encodeInto(s.slice(j), data.subarray(pos)).written;
    offsets[i + 1] = pos;
  }
  return arrow.makeVector(
    arrow.makeData({
      type: new arrow.Utf8(),
      length: values.length,
      nullCount: 0,
      valueOffsets: offsets,
      data: data.subarray(0, pos),
    }),
  );
}

const ingestOffsets = [];
const ingestVectorFromArray = [];
let sVector;
for (let r = 0; r < 3; r++) {
  const [t1, v1] = time(() => utf8ByOffsets(strings));
  ingestOffsets.push(t1);
  sVector = v1;
  const [t2, v2] = time(() => arrow.vectorFromArray(strings, new arrow.Utf8()));
  ingestVectorFromArray.push(t2);
  if (v2.get(12345) !== v1.get(12345)) throw new Error('ingest: the two string columns differ');
}

const arrowTable = new arrow.Table({
  a: arrow.makeVector(a),
  b: arrow.makeVector(b),
  c: arrow.makeVector(c),
  s: sVector,
});
const aqTable = aq.table({ a, b, c, s: strings });

// ---- store vs raw -----------------------------------------------------------------------------
async function rawRoundTrip(file, bytes, durable) {
  const [w] = await timeAsync(async () => {
    const handle = await fs.promises.open(file, 'w');
    await handle.write(bytes);
    if (durable) await handle.sync();
    await handle.close();
  });
  const [r, back] = await timeAsync(() => fs.promises.readFile(file));
  if (back.byteLength !== bytes.byteLength) throw new Error('raw: size mismatch');
  return { w, r };
}

async function measure(label, table, durable) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ff-bench-disk-'));
  try {
    const store = await ff.DiskDatumStore.open(dir, { durable });
    const persist = [];
    const resolve = [];
    const rawW = [];
    const rawR = [];
    let bytes = 0;
    for (let r = 0; r < REPEATS; r++) {
      const [tp, cell] = await timeAsync(() => store.persist(table, { cellId: 'big' }));
      const reopened = await ff.DiskDatumStore.open(dir, { durable });
      const [tr, back] = await timeAsync(() => reopened.resolve('big'));
      const adapter = ff.tableAdapterFor(back);
      if (!adapter || adapter.numRows(back) !== N)
        throw new Error(`${label}: round trip lost rows`);
      if (r === 0 && adapter.fingerprint(back) !== cell.fingerprint)
        throw new Error(`${label}: fingerprint changed`);
      persist.push(tp);
      resolve.push(tr);
      const file = store.fileOf('big');
      bytes = fs.statSync(file).size;
      const raw = await rawRoundTrip(path.join(dir, 'raw.bin'), fs.readFileSync(file), durable);
      rawW.push(raw.w);
      rawR.push(raw.r);
    }
    const p = median(persist);
    const q = median(resolve);
    const w = median(rawW);
    const rr = median(rawR);
    return { label, durable, bytes, p, q, w, r: rr, ratio: (p + q) / (w + rr) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function fmt(x, width, digits = 1) {
  return (typeof x === 'number' ? x.toFixed(digits) : String(x)).padStart(width);
}

(async () => {
  const rows = [];
  for (const durable of [true, false]) {
    rows.push(await measure('arrow.Table', arrowTable, durable));
    rows.push(await measure('arquero table', aqTable, durable));
  }
  console.log(
    `DiskDatumStore: ${N.toLocaleString('en')} rows x 4 columns (float64, float64, int32, short utf8), median of ${REPEATS}`,
  );
  console.log(
    `${'table'.padEnd(14)}${'fsync'.padStart(6)}${'MB'.padStart(7)}${'persist ms'.padStart(12)}${'resolve ms'.padStart(12)}${'store MB/s'.padStart(12)}${'raw w ms'.padStart(10)}${'raw r ms'.padStart(10)}${'raw MB/s'.padStart(10)}${'ratio'.padStart(8)}`,
  );
  for (const row of rows) {
    const mb = row.bytes / 1e6;
    console.log(
      `${row.label.padEnd(14)}${fmt(row.durable ? 'yes' : 'no', 6)}${fmt(mb, 7)}${fmt(row.p, 12)}${fmt(row.q, 12)}${fmt((2 * mb) / ((row.p + row.q) / 1000), 12, 0)}${fmt(row.w, 10)}${fmt(row.r, 10)}${fmt((2 * mb) / ((row.w + row.r) / 1000), 10, 0)}${fmt(`${row.ratio.toFixed(2)}x`, 8)}`,
    );
  }
  console.log(
    'ratio = (persist + resolve) / (raw write + raw read) of the same bytes; target <= 2x',
  );
  console.log(
    'persist includes describing the value (schema, byte size, content fingerprint) and,',
  );
  console.log('for arquero, converting its JS columns to Arrow (encoding 1e6 strings to UTF-8)');
  console.log(
    `load average: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores`,
  );
  console.log('\nIngest of the string column (1e6 short strings), median of 3:');
  console.log(
    `  arrow vectorFromArray(strings, Utf8): ${fmt(median(ingestVectorFromArray), 8)} ms`,
  );
  console.log(
    `  UTF-8 offsets + makeData:             ${fmt(median(ingestOffsets), 8)} ms  (${(median(ingestVectorFromArray) / median(ingestOffsets)).toFixed(1)}x faster)`,
  );
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
