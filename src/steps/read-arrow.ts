/** `read_arrow`: an Arrow IPC file (or stream) as an arquero table. */
import { arquero } from '../tables/libraries';
import { z } from 'zod';
import { FancyflowError, STANDARD_MODULE, step } from '../core';
import { checkSource, readSource, sourceFields, sourceFile, sourceStamp } from './data-files';
import { aqTable } from '../tables/typed-contracts';

const config = z
  .strictObject(sourceFields({ path: 'data/flights.arrow', dataset: 'flights-200k.arrow' }))
  .superRefine(checkSource(['.arrow', '.arrows', '.feather', '.ipc']));

/**
 * `read_arrow`: reads an Arrow IPC file or stream into an arquero table whose columns read the Arrow
 * buffers in place.
 *
 * Config: `path` (absolute, or relative to `baseDir`) or `dataset` (e.g. `flights-200k.arrow`).
 */
export const readArrow = step(
  {
    slug: 'read_arrow',
    module: STANDARD_MODULE,
    cacheKey: sourceStamp,
    category: 'Input/Output',
    title: 'Read Arrow',
    description:
      'Reads an Apache Arrow IPC file or stream (.arrow, .arrows, .feather, .ipc) into a table, without copying its column buffers. Give `path` (absolute, or relative to `baseDir`) or `dataset` (a file of the vega-datasets package, e.g. "flights-200k.arrow").',
    inputs: {},
    config,
    output: aqTable(),
  },
  async (_inputs, cfg) => {
    const file = sourceFile(cfg);
    const bytes = (await readSource(file, 'read_arrow')) as Uint8Array;
    try {
      return arquero().fromArrow(bytes);
    } catch (e) {
      throw new FancyflowError(
        'FILE_READ',
        `Step "read_arrow": ${file} is not Arrow IPC: ${String(e)}`,
        {
          details: { slug: 'read_arrow', file },
          cause: e,
        },
      );
    }
  },
);
