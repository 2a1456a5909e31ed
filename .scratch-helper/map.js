const aq = require('arquero'); require('../dist/tables/register');
const { arqueroTableAdapter } = require('../dist/tables/arquero-adapter');
const { RowCollector } = require('../dist/tables/arrow-adapter');
(async () => {
  const n = 100_000;
  const t = aq.table({ x: Array.from({ length: n }, (_, i) => i * 0.5), n: Int32Array.from({ length: n }, (_, i) => i) });
  for (let r = 0; r < 3; r++) {
    let t0 = performance.now();
    await arqueroTableAdapter.mapRows(t, (row) => ({ ...row, tag: 'a' }));
    const t1 = performance.now();
    const c = new RowCollector();
    for (let i = 0; i < n; i++) c.add({ x: i, n: i, tag: 'a' }, i, 's');
    const t2 = performance.now();
    const arr = [];
    for (let i = 0; i < n; i++) arr.push({ x: i, n: i, tag: 'a' });
    console.log({ map: t1 - t0, collect: t2 - t1, alloc: performance.now() - t2 });
  }
})();
