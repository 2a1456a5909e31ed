/**
 * Yielding to the event loop between record batches, so an abort requested by a timer or an
 * incoming message can land while a long row_wise step runs.
 */
import { FancyflowError } from '../core/errors';

type Immediate = (callback: () => void) => unknown;

/** Resolves on the next turn of the event loop (setImmediate where it exists: no 1 ms clamp). */
export function nextTurn(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: Immediate }).setImmediate;
  return new Promise((resolve) => {
    if (immediate) immediate(resolve);
    else setTimeout(resolve, 0);
  });
}

/** Throws `CANCELLED` when `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) {
    throw new FancyflowError('CANCELLED', `${what} was cancelled`, {
      details: {
        reason: String(
          (signal.reason as { message?: string } | undefined)?.message ??
            signal.reason ??
            'aborted',
        ),
      },
    });
  }
}

/** Rows per slice of a row_wise map: the unit between cancellation checks. */
export const ROWS_PER_SLICE = 65536;
