/** `read_csv`: a CSV or TSV file (or a vega-datasets data set) as an arquero table. */
import { arquero } from '../tables/libraries';
import { z } from 'zod';
import { STANDARD_MODULE, step } from '../core';
import { checkSource, readSource, sourceFields, sourceFile, sourceStamp } from './data-files';
import { aqTable } from '../tables/typed-contracts';

const config = z
  .strictObject({
    ...sourceFields({ path: 'data/cars.csv', dataset: 'seattle-weather.csv' }),
    delimiter: z
      .string()
      .length(1)
      .optional()
      .describe('The one-character field delimiter. Default: tab for .tsv files, comma otherwise.'),
    header: z
      .boolean()
      .default(true)
      .describe('Whether the first line holds the column names. Default true.'),
    autoType: z
      .boolean()
      .default(true)
      .describe(
        'Infer numbers, booleans and ISO dates from the text. Default true; false keeps every value a string.',
      ),
  })
  .superRefine(checkSource(['.csv', '.tsv', '.txt']));

/**
 * `read_csv`: reads a delimited text file into an arquero table. Empty fields become null.
 *
 * Config: `path` (absolute, or relative to `baseDir`) or `dataset` (a file of the vega-datasets
 * package, e.g. `seattle-weather.csv`); `delimiter` (default by extension); `header` (default true);
 * `autoType` (default true).
 *
 * @example
 * readCsv({}, { dataset: 'seattle-weather.csv' }, { name: 'weather' })
 */
export const readCsv = step(
  {
    slug: 'read_csv',
    module: STANDARD_MODULE,
    cacheKey: sourceStamp,
    category: 'Input/Output',
    title: 'Read CSV',
    description:
      'Reads a CSV/TSV file, or a data set of the vega-datasets package, into a table. Give `path` (absolute, or relative to `baseDir`) or `dataset` (e.g. "seattle-weather.csv"). `delimiter` defaults to tab for .tsv and comma otherwise; `header` (default true) says the first line holds column names; `autoType` (default true) parses numbers, booleans and ISO dates. Empty fields become null.',
    inputs: {},
    config,
    output: aqTable(),
  },
  async (_inputs, cfg) => {
    const file = sourceFile(cfg);
    const text = (await readSource(file, 'read_csv', 'utf8')) as string;
    const delimiter = cfg.delimiter ?? (file.toLowerCase().endsWith('.tsv') ? '\t' : ',');
    return arquero().fromCSV(text, { delimiter, header: cfg.header, autoType: cfg.autoType });
  },
);
