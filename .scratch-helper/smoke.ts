import * as arrow from 'apache-arrow';
import * as aq from 'arquero';
import { DiskDatumStore, describeValue, tableAdapterFor } from '../src/index';
(async () => {
  const dir = '/tmp/ffexp/store1';
  await import('node:fs').then((fs) => fs.rmSync(dir, { recursive: true, force: true }));
  const s = await DiskDatumStore.open(dir);
  const at = arrow.tableFromArrays({ a: new Float64Array([1, 2, 3]), s: ['x', 'y', 'x'] });
  const qt = aq.table({ n: [1, 2, 3], s: ['a', 'b', null], f: new Float64Array([1.5, 2, 3]) });
  console.log(describeValue(at).summary, describeValue(qt).summary);
  await s.persist(at, { cellId: 'arrow' });
  await s.persist(qt, { cellId: 'aq' });
  await s.persist({ x: [1, 'a', null] }, { cellId: 'json' });
  await s.persist(new Float64Array([1, 2]), { cellId: 'f64' });
  const s2 = await DiskDatumStore.open(dir);
  for (const c of s2.list()) {
    const v = await s2.resolve(c.id);
    console.log(c.id, c.uri, tableAdapterFor(v)?.name, v?.constructor?.name, describeValue(v).fingerprint === c.fingerprint);
  }
  const q2 = (await s2.resolve('aq')) as aq.ColumnTable;
  console.log(q2.objects(), tableAdapterFor(q2)!.columns(q2));
  try { await s2.persist({ f: () => 1 }, { cellId: 'bad' }); } catch (e) { console.log(String(e)); }
  try { await s2.persist([1, undefined], { cellId: 'bad' }); } catch (e) { console.log(String(e)); }
  const cyc: Record<string, unknown> = { a: {} }; (cyc.a as Record<string, unknown>).b = cyc;
  try { await s2.persist(cyc, { cellId: 'bad' }); } catch (e) { console.log(String(e)); }
  try { await s2.persist(new Map(), { cellId: 'bad' }); } catch (e) { console.log(String(e)); }
  console.log(require('fs').readdirSync(dir));
})();
