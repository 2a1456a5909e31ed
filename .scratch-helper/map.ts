import * as aq from 'arquero';
import * as arrow from 'apache-arrow';
import '../src/tables/register';
import { arqueroTableAdapter } from '../src/tables/arquero-adapter';
import { arrowTableAdapter } from '../src/tables/arrow-adapter';
(async () => {
  const n = 100_000;
  const t = aq.table({ x: Array.from({ length: n }, (_, i) => i * 0.5), n: Int32Array.from({ length: n }, (_, i) => i) });
  for (let r = 0; r < 3; r++) {
    let t0 = performance.now();
    await arqueroTableAdapter.mapRows(t, (row) => ({ ...row, tag: 'a' }));
    const t1 = performance.now();
    const o = t.orderby(aq.desc('n'));
    const t2 = performance.now();
    await arqueroTableAdapter.mapRows(o, (row) => ({ ...row, tag: 'a' }));
    const t3 = performance.now();
    const at = arrow.tableFromArrays({ x: new Float64Array(n), n: new Int32Array(n) });
    const t4 = performance.now();
    await arrowTableAdapter.mapRows(at, (row) => ({ ...row, tag: 'a' }));
    console.log({ plain: t1 - t0, orderby: t2 - t1, ordered: t3 - t2, arrow: performance.now() - t4 });
  }
})();
