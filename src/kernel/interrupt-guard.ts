/**
 * Makes a step that computes synchronously interruptible by SIGINT (Ctrl-C, a Jupyter interrupt).
 *
 * A step's function is called by the Orchestrator, not by the cell's code, so it runs outside the
 * `vm` call of tslab that has `breakOnSigint`: a busy step would swallow SIGINT until it finished.
 * The {@link StepCaller} made here calls the function inside a tiny `vm` script run with
 * `breakOnSigint`, so V8 stops it wherever it is (no `catch` or `finally` in the step runs) and the
 * step ends `CANCELLED`. While such a call runs, `process.on('SIGINT')` listeners are not called
 * (Node's rule for `breakOnSigint`), so `onInterrupt` is how the rest of the run gets cancelled.
 * Async steps cancel through their AbortSignal once they await.
 *
 * Node's `breakOnSigint` has an instant around each call (its watchdog starting and stopping,
 * the `process.on('SIGINT')` listeners being taken off and put back) where a SIGINT can be lost;
 * tslab runs every cell the same way. A second interrupt then does it.
 */
import vm from 'node:vm';
import { FancyflowError } from '../core/errors';
import type { StepCaller } from '../core/orchestrator';

/** The code Node gives the error of a script stopped by SIGINT. */
const INTERRUPTED = 'ERR_SCRIPT_EXECUTION_INTERRUPTED';

/** True for the error of a `vm` script stopped by SIGINT (made in the script's own realm). */
export function isSigintInterruption(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === INTERRUPTED;
}

// One context and one compiled script for every call: the script calls whatever `call` holds.
const sandbox = vm.createContext({ call: undefined as (() => unknown) | undefined });
const script = new vm.Script('call()', { filename: 'fancyflow-step-call' });

/**
 * Runs `fn` so that SIGINT stops it: throws the interruption (see {@link isSigintInterruption}).
 * Nested calls are fine (the innermost running one is stopped).
 */
export function runInterruptibly<T>(fn: () => T): T {
  const previous = sandbox.call;
  sandbox.call = fn;
  try {
    return script.runInContext(sandbox, { breakOnSigint: true }) as T;
  } finally {
    sandbox.call = previous;
  }
}

/**
 * A {@link StepCaller} that runs each step's synchronous part interruptibly; on SIGINT it calls
 * `onInterrupt` (cancel the run) and throws `CANCELLED` for the step.
 *
 * @example
 * new Orchestrator({ store, callStep: interruptibleStepCaller(() => controller.abort()) });
 */
export function interruptibleStepCaller(onInterrupt: () => void): StepCaller {
  return (call, step) => {
    try {
      return runInterruptibly(call);
    } catch (e) {
      if (!isSigintInterruption(e)) throw e;
      onInterrupt();
      throw new FancyflowError('CANCELLED', `Step ${step.label} was interrupted (SIGINT)`, {
        details: { stepId: step.stepId, signal: 'SIGINT' },
        cause: e,
      });
    }
  };
}
