import { describe, expect, it } from 'vitest';
import { readJobData } from './protocol';

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
