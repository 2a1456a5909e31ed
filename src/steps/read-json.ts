/** `read_json`: a JSON file of rows or columns (or a vega-datasets data set) as an arquero table. */
import { arquero } from '../tables/libraries';
import { z } from 'zod';
import { FancyflowError, STANDARD_MODULE, step } from '../core';
import { checkSource, readSource, sourceFields, sourceFile, sourceStamp } from './data-files';
import { aqTable } from '../tables/typed-contracts';

const config = z
  .strictObject({
    ...sourceFields({ path: 'data/cars.json', dataset: 'cars.json' }),
    autoType: z
      .boolean()
      .default(true)
      .describe('Parse ISO date strings into dates. Default true.'),
  })
  .superRefine(checkSource(['.json', '.ndjson', '.jsonl']));

/**
 * `read_json`: reads JSON into an arquero table: an array of row objects (`[{"a":1}, …]`), an object
 * of columns (`{"a":[1,2]}`), or newline-delimited rows (`.ndjson`/`.jsonl`).
 *
 * Config: `path` or `dataset` (e.g. `cars.json`), `baseDir`, `autoType` (default true).
 *
 * @example
 * readJson({}, { dataset: 'cars.json' }, { name: 'cars' })
 */
export const readJson = step(
  {
    slug: 'read_json',
    module: STANDARD_MODULE,
    cacheKey: sourceStamp,
    category: 'Input/Output',
    title: 'Read JSON',
    description:
      'Reads a JSON file into a table: an array of row objects, an object of column arrays, or newline-delimited rows (.ndjson/.jsonl). Give `path` (absolute, or relative to `baseDir`) or `dataset` (a file of the vega-datasets package, e.g. "cars.json"). `autoType` (default true) parses ISO date strings into dates.',
    inputs: {},
    config,
    output: aqTable(),
  },
  async (_inputs, cfg) => {
    const file = sourceFile(cfg);
    const text = (await readSource(file, 'read_json', 'utf8')) as string;
    const lower = file.toLowerCase();
    const ndjson = lower.endsWith('.ndjson') || lower.endsWith('.jsonl');
    try {
      if (ndjson) return arquero().fromJSON(text, { type: 'ndjson', autoType: cfg.autoType });
      const first = /\S/.exec(text)?.[0];
      if (first !== '[' && first !== '{')
        throw new Error('expected an array of rows or an object of columns');
      return arquero().fromJSON(text, {
        type: first === '[' ? 'rows' : 'columns',
        autoType: cfg.autoType,
      });
    } catch (e) {
      throw new FancyflowError(
        'FILE_READ',
        `Step "read_json": ${file} is not a JSON table: ${String(e)}`,
        {
          details: { slug: 'read_json', file },
          cause: e,
        },
      );
    }
  },
);
