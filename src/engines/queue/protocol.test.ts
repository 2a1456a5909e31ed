import { describe, expect, it } from 'vitest';
import { partRanges, readJobData } from './protocol';

describe('readJobData: a job from Redis is untrusted', () => {
  it('reads the three kinds of fancyflow jobs, keeping only their fields', () => {
    expect(readJobData({ kind: 'step', runId: 'r', stepId: 's', extra: 1 })).toEqual({
      kind: 'step',
      runId: 'r',
      stepId: 's',
    });
    expect(readJobData({ kind: 'step', runId: 'r', stepId: 's', chain: ['a', 'b'] })).toEqual({
      kind: 'step',
      runId: 'r',
      stepId: 's',
      chain: ['a', 'b'],
    });
    expect(
      readJobData({ kind: 'part', runId: 'r', stepId: 's', part: 2, start: 10, end: 20, x: 'y' }),
    ).toEqual({ kind: 'part', runId: 'r', stepId: 's', part: 2, start: 10, end: 20 });
    expect(
      readJobData({
        kind: 'assemble',
        runId: 'r',
        stepId: 's',
        parts: [
          { start: 0, end: 5, junk: true },
          { start: 5, end: 9 },
        ],
      }),
    ).toEqual({
      kind: 'assemble',
      runId: 'r',
      stepId: 's',
      parts: [
        { start: 0, end: 5 },
        { start: 5, end: 9 },
      ],
    });
  });

  it('refuses anything else', () => {
    const step = { kind: 'step', runId: 'r', stepId: 's' };
    const part = { kind: 'part', runId: 'r', stepId: 's', part: 0, start: 0, end: 1 };
    const assemble = { kind: 'assemble', runId: 'r', stepId: 's', parts: [{ start: 0, end: 1 }] };
    const hostile: unknown[] = [
      undefined,
      null,
      'step',
      42,
      [step],
      {},
      { ...step, kind: 'other' },
      { ...step, kind: undefined },
      { ...step, runId: 7 },
      { ...step, stepId: null },
      { kind: 'step', stepId: 's' },
      { ...step, chain: 'a,b' },
      { ...step, chain: ['a', 2] },
      { ...step, chain: ['a', null] },
      { ...step, chain: { 0: 'a', length: 1 } },
      { ...part, part: -1 },
      { ...part, start: 1.5 },
      { ...part, end: '3' },
      { ...part, end: 2 ** 60 },
      { ...part, start: undefined },
      { ...assemble, parts: { start: 0, end: 1 } },
      { ...assemble, parts: [{ start: 0 }] },
      { ...assemble, parts: [null] },
      { ...assemble, parts: [[0, 1]] },
      { ...assemble, parts: [{ start: 0, end: -4 }] },
      JSON.parse('{"__proto__": {"kind": "step"}, "runId": "r", "stepId": "s"}'),
    ];
    for (const value of hostile) expect(readJobData(value), JSON.stringify(value)).toBeUndefined();
  });
});

describe('partRanges: the split of a row_wise step', () => {
  it('covers every row once, in order, in parts of at most partRows that get smaller at the end', () => {
    for (const [rows, partRows] of [
      [1_000_000, 65_536],
      [65_537, 65_536],
      [200, 40],
      [41, 40],
      [7, 1],
    ] as const) {
      const parts = partRanges(rows, partRows);
      expect(parts[0]!.start).toBe(0);
      expect(parts.at(-1)!.end).toBe(rows);
      parts.forEach((p, i) => {
        expect(p.end).toBeGreaterThan(p.start);
        expect(p.end - p.start).toBeLessThanOrEqual(partRows);
        if (i > 0) expect(p.start).toBe(parts[i - 1]!.end);
      });
    }
    const sizes = partRanges(1_000_000, 65_536).map((p) => p.end - p.start);
    expect(sizes.slice(0, 12)).toEqual(new Array(12).fill(65_536));
    expect(sizes.at(-1)).toBeLessThanOrEqual(4096); // the tail: a sixteenth of a part at most
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeLessThanOrEqual(sizes[i - 1]!);
    expect(partRanges(100, 100)).toEqual([{ start: 0, end: 100 }]);
  });
});
