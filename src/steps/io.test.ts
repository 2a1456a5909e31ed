import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as arrow from 'apache-arrow';
import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { afterAll, describe, expect, test } from 'vitest';
import { steps } from '.';
import { failure, output, run, thrown } from './test-harness';
import type { WriteSummary } from './data-files';

const dir = mkdtempSync(path.join(tmpdir(), 'fancyflow-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cars = JSON.parse(
  readFileSync(
    require.resolve('vega-datasets').replace(/build[/\\]index\.js$/, 'data/cars.json'),
    'utf8',
  ),
) as Record<string, unknown>[];

describe('read_csv', () => {
  test('reads a file relative to baseDir, with nulls and types', async () => {
    writeFileSync(path.join(dir, 'small.csv'), 'a,b,c\n1,x,true\n,y,false\n3,,true\n');
    const t = await output<ColumnTable>(steps.read_csv({}, { path: 'small.csv', baseDir: dir }));
    expect(t.columnNames()).toEqual(['a', 'b', 'c']);
    expect(t.objects()).toEqual([
      { a: 1, b: 'x', c: true },
      { a: null, b: 'y', c: false },
      { a: 3, b: null, c: true },
    ]);
  });

  test('reads TSV by extension and keeps strings with autoType false', async () => {
    writeFileSync(path.join(dir, 'small.tsv'), 'k\tv\n01\t2.5\n');
    const t = await output<ColumnTable>(
      steps.read_csv({}, { path: path.join(dir, 'small.tsv'), autoType: false }),
    );
    expect(t.objects()).toEqual([{ k: '01', v: '2.5' }]);
  });

  test('reads a vega-datasets data set', async () => {
    const t = await output<ColumnTable>(steps.read_csv({}, { dataset: 'seattle-weather.csv' }));
    expect(t.numRows()).toBe(1461);
    expect(t.columnNames()).toEqual([
      'date',
      'precipitation',
      'temp_max',
      'temp_min',
      'wind',
      'weather',
    ]);
    expect(t.get('temp_max', 0)).toBe(12.8);
  });

  test('bad config names the path', () => {
    expect(thrown(() => steps.read_csv({}, {})).details.pointer).toBe('/path');
    const both = thrown(() => steps.read_csv({}, { path: 'a.csv', dataset: 'b.csv' }));
    expect(both.code).toBe('INVALID_CONFIG');
    expect(thrown(() => steps.read_csv({}, { dataset: '../secret.csv' })).details.pointer).toBe(
      '/dataset',
    );
    expect(thrown(() => steps.read_csv({}, { dataset: 'cars.json' })).message).toMatch(/\.csv/);
    expect(
      thrown(() => steps.read_csv({}, { path: 'x.csv', delimiter: ';;' })).details.pointer,
    ).toBe('/delimiter');
  });

  test('a missing file is FILE_READ naming it', async () => {
    const e = await failure(steps.read_csv({}, { path: 'nope.csv', baseDir: dir }));
    expect(e.code).toBe('FILE_READ');
    expect(e.message).toContain(path.join(dir, 'nope.csv'));
  });
});

describe('read_json', () => {
  test('reads cars.json with every row and column', async () => {
    const t = await output<ColumnTable>(steps.read_json({}, { dataset: 'cars.json' }));
    expect(t.numRows()).toBe(cars.length);
    expect(t.columnNames()).toEqual(Object.keys(cars[0]!));
    expect(t.get('Name', 5)).toBe(cars[5]!.Name);
    expect(t.get('Year', 0)).toBeInstanceOf(Date);
  });

  test('reads columns objects and ndjson', async () => {
    writeFileSync(path.join(dir, 'cols.json'), '{"a":[1,2],"b":["x",null]}');
    writeFileSync(path.join(dir, 'rows.ndjson'), '{"a":1}\n{"a":2}\n');
    const cols = await output<ColumnTable>(
      steps.read_json({}, { path: 'cols.json', baseDir: dir }),
    );
    expect(cols.objects()).toEqual([
      { a: 1, b: 'x' },
      { a: 2, b: null },
    ]);
    const nd = await output<ColumnTable>(
      steps.read_json({}, { path: 'rows.ndjson', baseDir: dir }),
    );
    expect(nd.array('a')).toEqual([1, 2]);
  });

  test('a JSON scalar is FILE_READ', async () => {
    writeFileSync(path.join(dir, 'scalar.json'), '42');
    expect((await failure(steps.read_json({}, { path: 'scalar.json', baseDir: dir }))).code).toBe(
      'FILE_READ',
    );
  });
});

describe('write_csv / write_arrow / read_arrow', () => {
  const table = aq.table({ n: [1, 2, 3], s: ['a', null, 'c'] });

  test('write_csv writes atomically and returns a summary; read_csv reads it back', async () => {
    const file = path.join(dir, 'out', 'deep', 't.csv');
    const r = await run(
      [
        steps.write_csv({ table: 'in' }, { path: file }, { id: 'w' }),
        steps.read_csv({}, { path: file }, { id: 'r' }),
      ],
      { in: table },
    );
    const summary = r.output<WriteSummary>('w');
    expect(summary).toEqual({
      path: file,
      format: 'csv',
      rows: 3,
      columns: 2,
      bytes: readFileSync(file).length,
    });
    expect(readFileSync(file, 'utf8')).toBe('n,s\n1,a\n2,\n3,c\n');
    expect(r.output<ColumnTable>('r').objects()).toEqual(table.objects());
  });

  test('write_arrow round-trips through read_arrow', async () => {
    const r = await run(
      [
        steps.write_arrow({ table: 'in' }, { path: 't.arrow', baseDir: dir }, { id: 'w' }),
        steps.read_arrow({}, { path: 't.arrow', baseDir: dir }, { id: 'r' }),
      ],
      { in: table },
    );
    expect(r.output<WriteSummary>('w').rows).toBe(3);
    expect(r.output<ColumnTable>('r').objects()).toEqual(table.objects());
  });

  test('read_arrow reads the flights-200k data set', async () => {
    const t = await output<ColumnTable>(steps.read_arrow({}, { dataset: 'flights-200k.arrow' }));
    const file = require
      .resolve('vega-datasets')
      .replace(/build[/\\]index\.js$/, 'data/flights-200k.arrow');
    const reference = arrow.tableFromIPC(readFileSync(file));
    expect(t.numRows()).toBe(reference.numRows);
    expect(t.columnNames()).toEqual(reference.schema.fields.map((f) => f.name));
    expect(t.get('delay', 1234)).toBe(reference.getChild('delay')!.get(1234));
  });

  test('read_arrow on a non-Arrow file is FILE_READ', async () => {
    writeFileSync(path.join(dir, 'bad.arrow'), 'not arrow at all');
    expect((await failure(steps.read_arrow({}, { path: 'bad.arrow', baseDir: dir }))).code).toBe(
      'FILE_READ',
    );
  });

  test('a write input that is not a table breaks the contract', async () => {
    const e = await failure(steps.write_csv({ table: 'in' }, { path: 'x.csv', baseDir: dir }), {
      in: [1, 2, 3],
    });
    expect(e.code).toBe('INPUT_CONTRACT');
    expect(e.details.argument).toBe('table');
  });

  test('write_arrow bad format names the path', () => {
    const e = thrown(() =>
      steps.write_arrow({ table: 'in' }, { path: 'x.arrow', format: 'zip' as never }),
    );
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.details.pointer).toBe('/format');
  });
});
