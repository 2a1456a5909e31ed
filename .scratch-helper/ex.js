const ff = require('../dist');
(async () => {
  const s = await ff.DiskDatumStore.open('/tmp/ffexp/exstore');
  console.log(s.problems);
  for (const c of s.list()) {
    const v = await s.resolve(c.id);
    const d = ff.describeValue(v);
    console.log(c.id, c.kind, JSON.stringify(c.summary.columns?.map(x => x.type)), JSON.stringify(d.summary.columns?.map(x => x.type)), d.fingerprint === c.fingerprint);
  }
})();
