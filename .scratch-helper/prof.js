const aq = require('arquero'); const ff = require('../dist'); const flechette = require('@uwdata/flechette');
const N = 1e6; const a = new Float64Array(N), c = new Int32Array(N);
for (let i = 0; i < N; i++) { a[i] = Math.sin(i); c[i] = i; }
const strings = Array.from({ length: N }, (_, i) => `s${i % 5000}`);
const t = aq.table({ a, b: a, c, s: strings });
function tm(l, f) { const t0 = performance.now(); const r = f(); console.log(l, (performance.now() - t0).toFixed(1)); return r; }
const ad = ff.tableAdapterFor(t);
tm('columns', () => ad.columns(t));
tm('fingerprint', () => ad.fingerprint(t));
tm('byteSize', () => ad.byteSize(t));
const ft = tm('toArrow typed', () => aq.toArrow(t, { types: { s: flechette.utf8() } }));
tm('toArrow infer', () => aq.toArrow(t));
tm('toIPC', () => flechette.tableToIPC(ft, { format: 'file' }));
