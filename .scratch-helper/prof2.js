const arrow = require('apache-arrow'); const ff = require('../dist'); const fs = require('fs');
const { encodeTable } = require('../dist/stores/table-ipc'); const { writeFileAtomic } = require('../dist/stores/atomic-file');
const N = 1e6; const a = new Float64Array(N), c = new Int32Array(N);
for (let i = 0; i < N; i++) { a[i] = Math.sin(i); c[i] = i; }
const { utf8Vector } = require('../dist/tables/arrow-build');
const s = utf8Vector(Array.from({ length: N }, (_, i) => `s${i % 5000}`));
const t = new arrow.Table({ a: arrow.makeVector(a), b: arrow.makeVector(a), c: arrow.makeVector(c), s });
(async () => {
for (let r = 0; r < 3; r++) {
let t0 = performance.now(); const d = ff.describeValue(t); const t1 = performance.now();
const pieces = encodeTable(t, 'arrow'); const t2 = performance.now();
await writeFileAtomic('/tmp/ffexp/x.arrow', pieces, { durable: false }); const t3 = performance.now();
const buf = Buffer.concat(pieces); const t4 = performance.now();
await fs.promises.writeFile('/tmp/ffexp/raw', buf); const t5 = performance.now();
console.log({ describe: t1 - t0, encode: t2 - t1, writev: t3 - t2, rawWrite: t5 - t4, pieces: pieces.length });
}
})();
setTimeout(() => {
const ad = ff.tableAdapterFor(t);
for (let r = 0; r < 3; r++) {
let t0 = performance.now(); ad.columns(t); const t1 = performance.now(); ad.byteSize(t); const t2 = performance.now(); ad.fingerprint(t); const t3 = performance.now();
const { hashArrowVector } = require('../dist/tables/arrow-adapter');
const xs = [0,1,2,3].map(j => { const q = performance.now(); hashArrowVector(t.getChildAt(j)); return (performance.now() - q).toFixed(1); });
console.log({ columns: t1 - t0, bytes: t2 - t1, fp: t3 - t2, xs });
}}, 3000);
