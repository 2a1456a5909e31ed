import * as aq from 'arquero';
import * as arrow from 'apache-arrow';
import { aqTable, arrowTable, DiskDatumStore, step, Workflow, Orchestrator } from '../dist';
const rows = step(
  { slug: 'c_rows', inputs: { t: aqTable({ a: 'number', s: 'string' }) }, output: aqTable(), traits: { execution: 'row_wise' } },
  (row) => ({ b: (row.a ?? 0) + 1, s: row.s?.toUpperCase() ?? null }),
);
const batch = step(
  { slug: 'c_batch', inputs: { t: arrowTable({ a: 'number' }) }, output: arrowTable() },
  ({ t }) => t.select(['a']),
);
const first: aq.ColumnTable | undefined = undefined;
async function main(): Promise<void> {
  const store = await DiskDatumStore.open('/tmp/x');
  const wf = new Workflow({ known: (id) => store.has(id) }).add(rows({ t: 'raw' })).add(batch({ t: 'raw' }));
  await new Orchestrator({ store }).run(wf);
  const v: unknown = await store.resolve('raw');
  const t: arrow.Table | undefined = v instanceof arrow.Table ? v : undefined;
  void [t, first, store.problems.map((p) => p.code)];
}
void main;
