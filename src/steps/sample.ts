/** `sample`: a seeded, reproducible random sample of rows. */
import { z } from 'zod';
import { STANDARD_MODULE, step } from '../core';
import { aqTable } from '../tables/typed-contracts';
import { toArquero } from './table-contract';

const config = z
  .strictObject({
    n: z.number().int().min(0).optional().describe('How many rows to draw. Give this or fraction.'),
    fraction: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('The share of rows to draw (rounded to the nearest row). Give this or n.'),
    seed: z
      .number()
      .int()
      .default(42)
      .describe('The random seed: the same seed and table give the same sample. Default 42.'),
    replace: z
      .boolean()
      .default(false)
      .describe('Draw with replacement (rows may repeat; n may exceed the rows). Default false.'),
  })
  .superRefine((cfg, ctx) => {
    if ((cfg.n === undefined) === (cfg.fraction === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['n'], message: 'give n or fraction (exactly one)' });
    }
  });

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; enough for sampling, and the same everywhere. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `sample`: draws `n` rows (or a `fraction` of them) with a seeded generator (mulberry32), so a
 * re-run gives the same rows. Without replacement the rows keep their table order; with
 * replacement they come in draw order.
 */
export const sample = step(
  {
    slug: 'sample',
    module: STANDARD_MODULE,
    category: 'Transform',
    title: 'Sample rows',
    description:
      'Draws `n` rows, or a `fraction` (0 to 1) of them, at random with a fixed `seed` (default 42): the same seed and table always give the same sample. Without replacement (default) the sample keeps table order and n is capped at the row count; `replace: true` draws with replacement in draw order.',
    inputs: { table: aqTable() },
    config,
    output: aqTable(),
  },
  ({ table }, cfg) => {
    const t = toArquero(table, 'sample', 'table');
    const all = t.indices();
    const total = all.length;
    const want = cfg.n ?? Math.round((cfg.fraction ?? 0) * total);
    const next = random(cfg.seed);
    if (cfg.replace) {
      const rows: number[] = [];
      if (total > 0) for (let i = 0; i < want; i++) rows.push(all[Math.floor(next() * total)]!);
      return t.reify(rows);
    }
    const k = Math.min(want, total);
    const pool = Uint32Array.from(all);
    // partial Fisher-Yates: the first k slots end up a uniform sample
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(next() * (total - i));
      const tmp = pool[i]!;
      pool[i] = pool[j]!;
      pool[j] = tmp;
    }
    // toArquero materialises the table, so row numbers ascend in table order
    const chosen = Array.from(pool.subarray(0, k)).sort((a, b) => a - b);
    return t.reify(chosen);
  },
);
