import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFancyflowError } from '../core/errors';
import type { StepCall } from '../core/orchestrator';
import { interruptibleStepCaller, runInterruptibly } from './interrupt-guard';

const info: StepCall = {
  stepId: 'busy',
  label: '"busy" (spin)',
  signal: new AbortController().signal,
};

// A SIGINT that arrives after the guarded call must not kill the test process.
const ignore = (): void => {};
beforeEach(() => void process.on('SIGINT', ignore));
afterEach(() => void process.off('SIGINT', ignore));

/** Sends this process SIGINT from another process after `ms`. */
function sigintIn(ms: number): void {
  spawn('/bin/sh', ['-c', `sleep ${ms / 1000}; kill -INT ${process.pid}`], { stdio: 'ignore' });
}

describe('interruptibleStepCaller', () => {
  it('returns values and promises and rethrows errors as they are', async () => {
    const call = interruptibleStepCaller(() => expect.unreachable());
    expect(call(() => 42, info)).toBe(42);
    await expect(call(() => Promise.resolve('later'), info)).resolves.toBe('later');
    const error = new TypeError('boom');
    expect(() =>
      call(() => {
        throw error;
      }, info),
    ).toThrow(error);
    expect(runInterruptibly(() => runInterruptibly(() => 'nested'))).toBe('nested');
  });

  it('stops a step that computes synchronously on SIGINT: CANCELLED, and the run is cancelled', () => {
    let interrupted = 0;
    let finallyRan = false;
    const call = interruptibleStepCaller(() => interrupted++);
    sigintIn(300);
    const started = Date.now();
    let thrown: unknown;
    try {
      call(() => {
        try {
          while (Date.now() - started < 20_000) {
            // busy, never yields
          }
          return 'finished';
        } finally {
          finallyRan = true;
        }
      }, info);
    } catch (e) {
      thrown = e;
    }
    expect(isFancyflowError(thrown, 'CANCELLED')).toBe(true);
    if (!isFancyflowError(thrown)) return;
    expect(thrown.message).toBe('Step "busy" (spin) was interrupted (SIGINT)');
    expect(thrown.details).toEqual({ stepId: 'busy', signal: 'SIGINT' });
    expect(interrupted).toBe(1);
    expect(finallyRan).toBe(false); // V8 stops the step where it is
  });
});
