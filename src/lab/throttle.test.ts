import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Throttle } from './throttle';

describe('Throttle', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes the first request at once and the last of a burst after the interval', () => {
    const passed: number[] = [];
    const throttle = new Throttle(() => passed.push(performance.now()), 100);
    throttle.request();
    expect(passed).toHaveLength(1);
    for (let i = 0; i < 9; i++) {
      vi.advanceTimersByTime(10);
      throttle.request();
    }
    expect(passed).toHaveLength(1);
    vi.advanceTimersByTime(10);
    expect(passed).toHaveLength(2);
    expect(passed[1]! - passed[0]!).toBe(100);
    // quiet for longer than the interval: at once again
    vi.advanceTimersByTime(500);
    throttle.request();
    expect(passed).toHaveLength(3);
  });

  it('drops the waiting request when disposed', () => {
    const pass = vi.fn();
    const throttle = new Throttle(pass, 100);
    throttle.request();
    throttle.request();
    throttle.dispose();
    vi.advanceTimersByTime(1000);
    expect(pass).toHaveBeenCalledTimes(1);
  });
});
