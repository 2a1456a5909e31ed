import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunEvent, StepReport } from '../core';
import { createRunProgress } from './run-progress';

function buffer(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns: 60, write: (t: string) => chunks.push(t) } };
}

function status(step: Partial<StepReport> & Pick<StepReport, 'stepId' | 'status'>): RunEvent {
  return {
    type: 'step-status',
    runId: 'r',
    at: 0,
    slug: `s.${step.stepId}`,
    name: step.stepId,
    ...step,
  };
}

const started: RunEvent = { type: 'run-started', runId: 'r', stepIds: ['a', 'b', 'c'], at: 0 };

afterEach(() => {
  vi.useRealTimers();
});

describe('run progress', () => {
  it('shows steps running at once (a queued run): the latest on the live line, with a count', () => {
    let now = 1_000;
    const { chunks, stream } = buffer(true);
    const progress = createRunProgress(stream, { now: () => now, intervalMs: 100 });
    progress.onEvent(started);
    progress.onEvent(status({ stepId: 'a', status: 'running', startedAt: 1_000 }));
    progress.onEvent(status({ stepId: 'b', status: 'running', startedAt: 1_000 }));
    expect(chunks.at(-1)).toContain('[2/3] b (s.b) 0.0 s (+1 running)');
    now = 2_000;
    progress.onEvent(status({ stepId: 'b', status: 'completed', durationMs: 1000 }));
    const after = chunks.slice(-2).join('');
    expect(after).toContain('✔ [2/3] b (s.b) completed in');
    // the step still running keeps its live line
    expect(chunks.at(-1)).toContain('[1/3] a (s.a) 1.0 s');
    expect(chunks.at(-1)).not.toContain('running)');
    progress.close();
  });

  it('draws an updating line per step on a terminal', () => {
    vi.useFakeTimers();
    let now = 1_000;
    const { chunks, stream } = buffer(true);
    const progress = createRunProgress(stream, { now: () => now, intervalMs: 100 });
    progress.onEvent(started);
    expect(chunks.join('')).toBe('\x1b[?25l');
    progress.onEvent(status({ stepId: 'a', status: 'running', startedAt: 1_000 }));
    now = 3_500;
    vi.advanceTimersByTime(100);
    const live = chunks.slice(1).join('');
    expect(live).toContain('\r\x1b[2K⠋ [1/3] a (s.a) 0.0 s');
    expect(live).toContain('\r\x1b[2K⠙ [1/3] a (s.a) 2.5 s');
    expect(live).not.toContain('\n');
    progress.onEvent(status({ stepId: 'a', status: 'completed', durationMs: 2500 }));
    progress.onEvent(status({ stepId: 'b', status: 'running', startedAt: 3_500 }));
    progress.note('interrupted');
    progress.onEvent(
      status({
        stepId: 'b',
        status: 'cancelled',
        durationMs: 3,
        error: { name: 'FancyflowError', code: 'CANCELLED', message: 'x', details: {} },
      }),
    );
    progress.onEvent(
      status({
        stepId: 'c',
        status: 'cancelled',
        error: { name: 'FancyflowError', code: 'CANCELLED', message: 'x', details: {} },
      }),
    );
    progress.close();
    // Each finished line ends the live line it replaces.
    const finalLines = chunks
      .join('')
      .split('\n')
      .map((l) => l.slice(l.lastIndexOf('\r')));
    expect(finalLines).toContain('\r\x1b[2K✔ [1/3] a (s.a) completed in 2.50 s');
    expect(finalLines).toContain('\r\x1b[2Kinterrupted');
    expect(finalLines).toContain('\r\x1b[2K⊘ [2/3] b (s.b) cancelled after 3.0 ms');
    expect(finalLines).toContain('\r\x1b[2K⊘ [3/3] c (s.c) cancelled');
    expect(chunks.at(-1)).toBe('\x1b[?25h');
    // The spinner stopped: no more drawing after close.
    const count = chunks.length;
    vi.advanceTimersByTime(1_000);
    expect(chunks.length).toBe(count);
  });

  it('keeps a running line within the terminal width', () => {
    const { chunks, stream } = buffer(true);
    const progress = createRunProgress(stream, { now: () => 0 });
    progress.onEvent({ ...started, stepIds: ['x'.repeat(200)] });
    progress.onEvent(status({ stepId: 'x'.repeat(200), status: 'running', startedAt: 0 }));
    progress.close();
    const drawn = chunks.find((c) => c.includes('[1/1]'))!;
    const visible = drawn.replace(
      new RegExp(String.fromCharCode(27) + '\\[[0-9;?]*[A-Za-z]', 'g'),
      '',
    );
    expect(visible.replace('\r', '').length).toBeLessThan(60);
  });

  it('prints one plain line per finished step elsewhere', () => {
    const { chunks, stream } = buffer(false);
    const progress = createRunProgress(stream);
    progress.onEvent(started);
    progress.onEvent(status({ stepId: 'a', status: 'running', startedAt: 0 }));
    progress.onEvent(status({ stepId: 'a', status: 'completed', durationMs: 12.3 }));
    progress.onEvent(
      status({
        stepId: 'b',
        status: 'failed',
        durationMs: 1.25,
        error: { name: 'FancyflowError', code: 'STEP_FAILED', message: 'boom', details: {} },
      }),
    );
    progress.close();
    expect(chunks.join('')).toBe(
      '[1/3] a (s.a) completed in 12 ms\n[2/3] b (s.b) failed in 1.3 ms: STEP_FAILED\n',
    );
  });
});
