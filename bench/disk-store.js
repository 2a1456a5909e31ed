#!/usr/bin/env node
/**
 * DiskDatumStore against a fair floor, for a 1e6-row x 4-column table (float64, float64, int32,
 * short strings), with and without fsync:
 * - write: `persist` of an arrow.Table and of an arquero table (encoding, description, checksum,
 *   temp file, the locked index update) against writing the same bytes to a NEW file with
 *   openSync/writeSync/(fsyncSync)/closeSync; for arquero also against arquero's own
 *   `toArrowIPC()` plus that same write;
 * - read: `resolve` (read, checksum verification, decoding) against readFileSync of the same file;
 * - the checksum alone (XXH3-64, native) beside the content fingerprint's XXH3-128 (WebAssembly)
 *   over the same bytes, and beside @node-rs/xxhash's one-shot native XXH3-128 (the same digest;
 *   not used for fingerprints because this figure is slower than the WebAssembly stream).
 * Targets (the performance issue): write an Arrow table <= 2x the floor, an arquero table <= 3x
 * (and no slower than its own toArrowIPC() plus the write), read with verification <= 3x.
 *
 * Rounds are interleaved (every variant once per round, the order rotating) with a forced gc
 * before each sample; one small completed run stays alive for the whole process so V8 keeps the
 * optimized code of the classes measured (a gc with nothing of a hot class alive drops it).
 *
 * Run after `npm run build`: node --expose-gc bench/disk-store.js
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const arrow = require('apache-arrow');
const aq = require('arquero');
const ff = require('../dist');
const { checksumOf } = require('../dist/stores/checksum');
const { xxh3 } = require('@node-rs/xxhash');

const N = 1_000_000;
// 15 by default: the ratios sit near their targets, and 9 rounds moved them 1.5-2x between two runs
const ROUNDS = Number(process.env.BENCH_ROUNDS) || 15;
const gc = typeof globalThis.gc === 'function' ? globalThis.gc : undefined;
if (!gc) console.warn('warning: run with --expose-gc for steady figures');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Minor page faults of this process so far (a fresh page of memory touched for the first time). */
function pageFaults() {
  return process.resourceUsage().minorPageFault;
}

/**
 * One timed call: its wall time (ms), the CPU time of the whole process meanwhile (ms: every
 * thread, so a store write's thread-pool writes count as the floor's blocking write does) and the
 * page faults it took.
 */
async function sample(fn) {
  gc?.();
  const f0 = pageFaults();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  return { ms, cpu: (cpu.user + cpu.system) / 1000, faults: pageFaults() - f0 };
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

/** A utf8 column from UTF-8 offsets (apache-arrow's vectorFromArray is ~50x slower). */
function utf8ByOffsets(values) {
  const encoder = new TextEncoder();
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
    pos += encoder.encodeInto(s, data.subarray(pos)).written;
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

function tables(rows) {
  const sub = (x) => x.subarray(0, rows);
  return {
    arrow: new arrow.Table({
      a: arrow.makeVector(sub(a)),
      b: arrow.makeVector(sub(b)),
      c: arrow.makeVector(sub(c)),
      s: utf8ByOffsets(strings.slice(0, rows)),
    }),
    arquero: aq.table({ a: sub(a), b: sub(b), c: sub(c), s: strings.slice(0, rows) }),
  };
}

// ---- the floor --------------------------------------------------------------------------------
let floorFiles = 0;
/** Writes `bytes` to a new file with plain sync calls; returns its path. */
function floorWrite(dir, bytes, durable) {
  const file = path.join(dir, `floor-${++floorFiles}.bin`);
  const fd = fs.openSync(file, 'wx');
  try {
    for (let at = 0; at < bytes.byteLength;)
      at += fs.writeSync(fd, bytes, at, bytes.byteLength - at);
    if (durable) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

// ---- one process-long small run (keeps the optimized code of every class measured alive) --------
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ff-bench-disk-'));
const keepAlive = { store: undefined, values: [] };

async function smallRun() {
  const store = await ff.DiskDatumStore.open(path.join(root, 'small'), { durable: false });
  const small = tables(1000);
  for (const [family, table] of Object.entries(small)) {
    await store.persist(table, { cellId: family });
    keepAlive.values.push(table, await store.resolve(family));
  }
  keepAlive.values.push(
    checksumOf([new Uint8Array(64)]),
    new ff.Hash128().update(new Uint8Array(64)).digest(),
  );
  keepAlive.store = store;
}

// ---- measurement ------------------------------------------------------------------------------
async function main() {
  await smallRun();
  const big = tables(N);
  const figures = {}; // name -> samples (ms), one per round, in round order
  const add = (name, { ms, cpu, faults }) => {
    (figures[name] ??= []).push(ms);
    (figures[`cpu ${name}`] ??= []).push(cpu);
    (figures[`faults ${name}`] ??= []).push(faults);
  };

  for (const durable of [false, true]) {
    const dir = path.join(root, durable ? 'fsync' : 'no-fsync');
    const store = await ff.DiskDatumStore.open(dir, { durable });
    // the bytes the store writes for each table, for the floor and the hash
    const bytes = {};
    for (const family of ['arrow', 'arquero']) {
      await store.persist(big[family], { cellId: `probe-${family}` });
      bytes[family] = fs.readFileSync(store.fileOf(`probe-${family}`));
      await store.delete(`probe-${family}`);
    }
    const suffix = durable ? ' (fsync)' : '';
    const variants = [];
    for (const family of ['arrow', 'arquero']) {
      variants.push(async (r) => {
        const id = `${family}-${r}`;
        add(
          `store write ${family}${suffix}`,
          await sample(() => store.persist(big[family], { cellId: id })),
        );
        add(`store read ${family}${suffix}`, await sample(() => store.resolve(id)));
        await store.delete(id);
      });
      variants.push(async () => {
        let file;
        add(
          `floor write ${family}${suffix}`,
          await sample(() => (file = floorWrite(dir, bytes[family], durable))),
        );
        add(`floor read ${family}${suffix}`, await sample(() => fs.readFileSync(file)));
        // not the floor: the least any verified read does, one pass over the bytes just read
        add(
          `floor read + checksum ${family}${suffix}`,
          await sample(() => checksumOf([fs.readFileSync(file)])),
        );
        fs.rmSync(file);
      });
    }
    variants.push(async () => {
      let file;
      add(
        `arquero toArrowIPC + floor write${suffix}`,
        await sample(() => {
          file = floorWrite(dir, aq.toArrowIPC(big.arquero, { format: 'file' }), durable);
        }),
      );
      fs.rmSync(file);
    });
    if (!durable) {
      variants.push(async () => {
        add('hash alone: xxh3 checksum', await sample(() => checksumOf([bytes.arrow])));
        add(
          'hash alone: XXH3-128 fingerprint',
          await sample(() => new ff.Hash128().update(bytes.arrow).digest()),
        );
        add('hash alone: native one-shot XXH3-128', await sample(() => xxh3.xxh128(bytes.arrow)));
      });
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < variants.length; i++) await variants[(i + r) % variants.length](r);
    }
    figures[`MB${suffix}`] = [bytes.arrow.byteLength / 1e6, bytes.arquero.byteLength / 1e6];
  }
  return figures;
}

/** Ingest of the string column: apache-arrow's vectorFromArray against UTF-8 offsets (one each). */
function ingest() {
  let t0 = performance.now();
  const slow = arrow.vectorFromArray(strings, new arrow.Utf8());
  const vectorFromArray = performance.now() - t0;
  t0 = performance.now();
  const fast = utf8ByOffsets(strings);
  const offsets = performance.now() - t0;
  if (slow.get(12345) !== fast.get(12345)) throw new Error('ingest: the two columns differ');
  return { vectorFromArray, offsets };
}

/** The share of time some task waited for a CPU (Linux PSI), the noise of a shared machine. */
function cpuPressure() {
  try {
    return fs
      .readFileSync('/proc/pressure/cpu', 'utf8')
      .split('\n')[0]
      .replace(/^some /, '');
  } catch {
    return 'unknown';
  }
}

function ms(x) {
  return `${x.toFixed(1).padStart(7)} ms`;
}

main()
  .then((f) => {
    const m = (name) => median(f[name]);
    const [mbArrow, mbAq] = f.MB;
    console.log(
      `DiskDatumStore: ${N.toLocaleString('en')} rows x 4 columns (float64, float64, int32, short utf8); Arrow file ${mbArrow.toFixed(1)} MB (arquero's ${mbAq.toFixed(1)} MB); median of ${ROUNDS} interleaved rounds`,
    );
    const hash = m('hash alone: xxh3 checksum');
    const core = m('hash alone: XXH3-128 fingerprint');
    const native128 = m('hash alone: native one-shot XXH3-128');
    console.log(
      `hash alone over ${mbArrow.toFixed(1)} MB: xxh3 checksum ${ms(hash)} (${(mbArrow / hash).toFixed(1)} GB/s), XXH3-128 fingerprint ${ms(core)} (${(mbArrow / core).toFixed(1)} GB/s), native one-shot XXH3-128 (not used) ${ms(native128)} (${(mbArrow / native128).toFixed(1)} GB/s)`,
    );
    console.log(
      `${'what'.padEnd(34)}${'fsync'.padStart(6)}${'store'.padStart(11)}${'floor'.padStart(11)}${'ratio'.padStart(8)}${'paired'.padStart(8)}${'cpu'.padStart(7)}${'faults'.padStart(13)}  target`,
    );
    for (const durable of [false, true]) {
      const suffix = durable ? ' (fsync)' : '';
      // paired: the median of the per-round ratios (both samples of a round met the same load);
      // faults: median page faults of a store sample / a floor sample (each costs ~0.25 us on bare
      // metal, and 10-20 us in a VM whose host took the freed pages back)
      const row = (label, store, floor, target) => {
        const pairedOf = (a, b) => median(f[a].map((x, r) => x / f[b][r]));
        const paired = pairedOf(store, floor);
        const cpu = pairedOf(`cpu ${store}`, `cpu ${floor}`);
        const faults = `${m(`faults ${store}`)}/${m(`faults ${floor}`)}`;
        console.log(
          `${label.padEnd(34)}${(durable ? 'yes' : 'no').padStart(6)}${ms(m(store))}${ms(m(floor))}${`${(m(store) / m(floor)).toFixed(2)}x`.padStart(8)}${`${paired.toFixed(2)}x`.padStart(8)}${`${cpu.toFixed(2)}x`.padStart(7)}${faults.padStart(13)}  ${target}`,
        );
      };
      row('write arrow.Table', `store write arrow${suffix}`, `floor write arrow${suffix}`, '<= 2x');
      row(
        'write arquero table',
        `store write arquero${suffix}`,
        `floor write arquero${suffix}`,
        '<= 3x',
      );
      row(
        'write arquero vs toArrowIPC+write',
        `store write arquero${suffix}`,
        `arquero toArrowIPC + floor write${suffix}`,
        '<= 1x (wish)',
      );
      row(
        'read arrow.Table (verified)',
        `store read arrow${suffix}`,
        `floor read arrow${suffix}`,
        '<= 3x',
      );
      row(
        'read arquero table (verified)',
        `store read arquero${suffix}`,
        `floor read arquero${suffix}`,
        '<= 3x',
      );
      row(
        'read arrow vs readFileSync+checksum',
        `store read arrow${suffix}`,
        `floor read + checksum arrow${suffix}`,
        '(reference)',
      );
    }
    console.log(
      'store write = persist (encode, describe + fingerprint, checksum, temp file, locked index update);',
    );
    console.log(
      'store read = resolve (read, size + checksum check, decode); floor = plain sync fs calls on a new file',
    );
    console.log(
      'readFileSync+checksum = the floor read plus one pass over the bytes just read (no store does less)',
    );
    console.log(
      'ratio = median / median; paired = median of the per-round ratios; cpu = the same of the process CPU times (all threads; steadier under load); faults = median page faults per sample, store/floor (a read into fresh memory takes ~7,000 for 28.8 MB)',
    );
    console.log(`CPU pressure (some): ${cpuPressure()}`);
    const i = ingest();
    console.log(
      `ingest of 1e6 short strings: vectorFromArray ${ms(i.vectorFromArray)}, UTF-8 offsets + makeData ${ms(i.offsets)}`,
    );
    console.log(
      `load average: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(
          ' ',
        )} on ${os.cpus().length} cores; ${keepAlive.values.length} small values kept alive`,
    );
  })
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(root, { recursive: true, force: true }));
