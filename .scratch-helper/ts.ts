import * as arrow from 'apache-arrow';
import { arrowTableAdapter } from '../src/tables/arrow-adapter';
(async () => {
  const t = new arrow.Table({
    ts: arrow.vectorFromArray([new Date(0), new Date(86400000)], new arrow.TimestampMillisecond()),
    d: arrow.vectorFromArray([new Date(0), new Date(86400000)], new arrow.DateDay()),
    big: arrow.vectorFromArray([1n, 2n], new arrow.Int64()),
    ok: arrow.vectorFromArray([true, null]),
    list: arrow.vectorFromArray([[1, 2], [3]]),
  });
  console.log(arrowTableAdapter.head(t, 2));
  const out = await arrowTableAdapter.mapRows(t, (r) => r);
  console.log(arrowTableAdapter.columns(t), arrowTableAdapter.columns(out), arrowTableAdapter.head(out, 2));
  console.log(arrowTableAdapter.fingerprint(t) === arrowTableAdapter.fingerprint(out));
})();
