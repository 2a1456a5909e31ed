const aq = require('arquero'); const ff = require('../dist'); const fs = require('fs');
const { encodeTable } = require('../dist/stores/table-ipc'); const { writeFileAtomic } = require('../dist/stores/atomic-file');
const N = 1e6; const a = new Float64Array(N), c = new Int32Array(N);
for (let i = 0; i < N; i++) { a[i] = Math.sin(i); c[i] = i; }
const t = aq.table({ a, b: a, c, s: Array.from({ length: N }, (_, i) => `s${i % 5000}`) });
(async () => {
  for (let r = 0; r < 4; r++) {
    const t0 = performance.now(); const enc = encodeTable(t, 'arquero'); const t1 = performance.now();
    const d = ff.describeValue(enc.equivalent); const t2 = performance.now();
    await writeFileAtomic('/tmp/ffexp/y.arrow', enc.pieces, { durable: false }); const t3 = performance.now();
    console.log({ encode: (t1 - t0).toFixed(0), describe: (t2 - t1).toFixed(0), write: (t3 - t2).toFixed(0), pieces: enc.pieces.length });
  }
})();
setTimeout(() => {
  const enc = encodeTable(t, 'arquero'); const e = enc.equivalent; const ad = ff.tableAdapterFor(e);
  const { ColumnHasher, hashArrowChunks } = require('../dist/tables/fingerprint');
  for (let r = 0; r < 3; r++) {
    const xs = e.columnNames().map((n) => { const col = e.column(n); const q = performance.now(); const h = new ColumnHasher(); const ok = hashArrowChunks(h, col.type, col.data); h.digest(); return `${n}:${ok}:${(performance.now() - q).toFixed(1)}`; });
    const q = performance.now(); ad.columns(e); ad.byteSize(e); const q2 = performance.now(); ad.fingerprint(e);
    console.log(xs.join(' '), 'meta', (q2 - q).toFixed(1), 'fp', (performance.now() - q2).toFixed(1));
  }
}, 2000);
