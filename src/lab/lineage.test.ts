import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../core/freshness';
import { formatTime, lineageRows, shortFingerprint } from './lineage';

const record: StepRecord = {
  stepId: 'a9fe1903-a28f-4c96-9974-90437434d349',
  slug: 'filter',
  version: '1.0.0',
  code: 'c0de0123456789abcdef0123456789ab',
  config: { where: [{ column: 'Model_year', op: 'ge', value: 1975 }] },
  inputs: {
    table: { cell: '3c2d1e0f-1111-4222-8333-444455556666', fingerprint: 'f00d0123456789abcdef' },
  },
  key: 'feedface0123456789abcdef01234567',
  output: 'beef0123456789abcdef',
  status: 'completed',
  cached: false,
  durationMs: 2.8,
  runId: 'run-7',
  at: '2026-11-30T14:03:13.000Z',
};

describe('lineageRows', () => {
  it('says what produced the output: step, code, config, inputs by name, run, cache', () => {
    const names = new Map([['3c2d1e0f-1111-4222-8333-444455556666', 'metric']]);
    const rows = lineageRows(record, (id) => names.get(id) ?? id);
    expect(rows.map((r) => r.term)).toEqual([
      'Step',
      'Code',
      'Config',
      'Input table',
      'Run',
      'Output',
      'Cache key',
    ]);
    expect(rows[0]!.value).toBe('filter 1.0.0');
    expect(rows[1]).toEqual({ term: 'Code', value: 'c0de01234567…', full: record.code });
    expect(rows[2]!.value).toBe('{"where":[{"column":"Model_year","op":"ge","value":1975}]}');
    expect(rows[3]!.value).toBe('metric (f00d01234567…)');
    expect(rows[4]!.value).toMatch(/^run-7 · 2026-11-30 \d\d:\d\d:13 · computed in 3 ms$/);
    expect(rows.map((r) => r.value).join(' ')).not.toContain('3c2d1e0f');
  });

  it('a cached output says so; a failed run has no output row', () => {
    const rows = lineageRows({ ...record, cached: true, status: 'cached' }, String);
    expect(rows.find((r) => r.term === 'Run')!.value).toMatch(/ · cached$/);
    const failed = lineageRows(
      { ...record, status: 'failed', output: undefined } as StepRecord,
      String,
    );
    expect(failed.some((r) => r.term === 'Output')).toBe(false);
  });

  it('shortens long fingerprints only, and shows a time that is not ISO as it is', () => {
    expect(shortFingerprint('abc')).toBe('abc');
    expect(formatTime('yesterday')).toBe('yesterday');
  });
});
