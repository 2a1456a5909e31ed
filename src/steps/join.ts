/** `join`: combine two tables on key columns (inner, left, right or full). */
import { z } from 'zod';
import { STANDARD_MODULE, step } from '../core';
import { namedList, requireColumns } from './column-check';
import { aqTable } from '../tables/typed-contracts';
import { toArquero } from './table-contract';

const config = z
  .strictObject({
    on: z
      .array(z.string().min(1))
      .min(1)
      .describe(
        'Key columns of the left table (and of the right one, unless rightOn is given). Example: ["Origin"].',
      ),
    rightOn: z
      .array(z.string().min(1))
      .optional()
      .describe('Key columns of the right table, when their names differ; same length as on.'),
    how: z
      .enum(['inner', 'left', 'right', 'full'])
      .default('inner')
      .describe(
        'inner: matched rows only (default); left/right: also unmatched rows of that side; full: of both sides.',
      ),
    suffixes: z
      .tuple([z.string(), z.string()])
      .default(['_1', '_2'])
      .describe('Appended to non-key column names that both tables have. Default ["_1", "_2"].'),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.rightOn && cfg.rightOn.length !== cfg.on.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['rightOn'],
        message: `rightOn has ${cfg.rightOn.length} columns, on has ${cfg.on.length}`,
      });
    }
    if (cfg.suffixes[0] === cfg.suffixes[1]) {
      ctx.addIssue({ code: 'custom', path: ['suffixes'], message: 'the two suffixes must differ' });
    }
  });

/**
 * `join`: rows of `left` and `right` whose key values are equal. Keys with the same name on both
 * sides come out once; other columns both tables have get `suffixes`. Unmatched rows (left, right,
 * full joins) get nulls on the other side.
 *
 * @example
 * join({ left: 'cars', right: 'origins' }, { on: ['Origin'], rightOn: ['name'], how: 'left' })
 */
export const join = step(
  {
    slug: 'join',
    module: STANDARD_MODULE,
    category: 'Combine',
    title: 'Join tables',
    description:
      'Joins the `left` and `right` tables on key columns: `on` (left keys; also the right keys unless `rightOn` names them), `how` = inner (default), left, right or full. Same-name keys come out once; other shared column names get `suffixes` (default ["_1", "_2"]). Unmatched rows get nulls on the other side.',
    inputs: { left: aqTable(), right: aqTable() },
    config,
    output: aqTable(),
  },
  ({ left, right }, cfg) => {
    const l = toArquero(left, 'join', 'left');
    const r = toArquero(right, 'join', 'right');
    const rightOn = cfg.rightOn ?? cfg.on;
    requireColumns(l, namedList(cfg.on, 'on'), 'join', 'left');
    requireColumns(r, namedList(rightOn, cfg.rightOn ? 'rightOn' : 'on'), 'join', 'right');
    const joined = l.join(r, [cfg.on, rightOn], undefined, {
      left: cfg.how === 'left' || cfg.how === 'full',
      right: cfg.how === 'right' || cfg.how === 'full',
      suffix: cfg.suffixes,
    });
    return joined;
  },
);
