'use strict';
// Steps of bench/queue.js, loaded by the benchmark and by its workers (`fancyflow worker --steps`).
const path = require('node:path');
const { z } = require('zod');
const aq = require('arquero');
const { step, aqTable } = require(path.resolve(__dirname, '..', '..', 'dist'));

const Value = z.object({ value: z.number() });

step({ slug: 'bench_start', inputs: {}, output: Value }, () => ({ value: 0 }));
step({ slug: 'bench_next', inputs: { x: Value }, output: Value }, ({ x }) => ({
  value: x.value + 1,
}));
step(
  {
    slug: 'bench_rows',
    inputs: {},
    config: z.object({ n: z.number().int().min(0) }),
    output: aqTable({ x: 'number' }),
  },
  (_inputs, { n }) => aq.table({ x: Float64Array.from({ length: n }, (_, i) => i) }),
);
step(
  {
    slug: 'bench_burn',
    inputs: { table: aqTable({ x: 'number' }) },
    config: z.object({ rounds: z.number().int().min(0) }),
    output: aqTable({ x: 'number', y: 'number' }),
    traits: { execution: 'row_wise' },
  },
  (row, { rounds }) => {
    let y = row.x;
    for (let i = 0; i < rounds; i++) y = (y * 1.0000001 + Math.sqrt(i + 1)) % 1e6;
    return { x: row.x, y };
  },
);
