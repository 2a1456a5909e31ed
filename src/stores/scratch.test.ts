import { afterEach, describe, expect, it, vi } from 'vitest';
import { FREE_LIMIT, IDLE_MS, MIN_POOLED, Scratch, scratchKept } from './scratch';

const MB = 1 << 20;

afterEach(() => {
  vi.useRealTimers();
});

describe('Scratch', () => {
  it('hands memory back out only after its release, to a request of about its size', () => {
    vi.useFakeTimers();
    vi.advanceTimersByTime(IDLE_MS); // whatever an earlier test left is let go
    const first = new Scratch();
    const bytes = first.bytes(3 * MB);
    const offsets = first.int32(MB);
    const second = new Scratch();
    // not released yet: other memory
    expect(second.bytes(3 * MB).buffer).not.toBe(bytes.buffer);
    first.release();
    expect(scratchKept()).toEqual({ buffers: 2, bytes: 7 * MB });
    const third = new Scratch();
    // the best fit: the 4 MB buffer for 4 MB of float64s, not the 3 MB one (too small)
    const numbers = third.float64(MB / 2);
    expect(numbers.buffer).toBe(offsets.buffer);
    expect(numbers.length).toBe(MB / 2);
    // a request of less than half a kept buffer takes fresh memory (no 3 MB buffer for 1 MB)
    expect(third.bytes(MB).buffer).not.toBe(bytes.buffer);
    expect(third.bytes(3 * MB - 5).buffer).toBe(bytes.buffer);
    expect(scratchKept()).toEqual({ buffers: 0, bytes: 0 });
    third.release();
    second.release();
    // let go once no write gave any back for IDLE_MS
    expect(scratchKept().buffers).toBeGreaterThan(0);
    vi.advanceTimersByTime(IDLE_MS);
    expect(scratchKept()).toEqual({ buffers: 0, bytes: 0 });
  });

  it('does not pool small arrays, keeps at most FREE_LIMIT bytes, and refuses use after release', () => {
    vi.useFakeTimers();
    vi.advanceTimersByTime(IDLE_MS);
    const small = new Scratch();
    small.bytes(MIN_POOLED - 1);
    small.release();
    expect(scratchKept()).toEqual({ buffers: 0, bytes: 0 });
    const big = new Scratch();
    const sizes = [FREE_LIMIT / 2, FREE_LIMIT / 2, 16 * MB];
    for (const size of sizes) big.bytes(size);
    big.release();
    expect(scratchKept()).toEqual({ buffers: 2, bytes: FREE_LIMIT });
    expect(() => big.bytes(MIN_POOLED)).toThrow(/after its release/);
    big.release(); // twice: nothing more given back
    expect(scratchKept()).toEqual({ buffers: 2, bytes: FREE_LIMIT });
    vi.advanceTimersByTime(IDLE_MS);
  });
});
