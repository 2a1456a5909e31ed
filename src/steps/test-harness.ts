/**
 * Runs steps through the real Orchestrator on a memory store: the step tests' harness (not exported
 * from the package root).
 */
import {
  MemoryDatumStore,
  Orchestrator,
  Workflow,
  type RunReport,
  type SerializedError,
  type WorkflowStep,
} from '../core';
import './index';

/** The outcome of a run: the report, the store, and a typed getter of outputs. */
export interface Ran {
  report: RunReport;
  store: MemoryDatumStore;
  output<T = unknown>(stepId: string): T;
  /** The error of the first step that did not complete (throws when all completed). */
  error(): SerializedError;
}

/**
 * Runs `chain` in order. `inputs` are values put in the store first (cell id → value), so steps may
 * be wired to them.
 */
export async function run(
  chain: WorkflowStep[],
  inputs: Record<string, unknown> = {},
): Promise<Ran> {
  const store = new MemoryDatumStore();
  for (const [cellId, value] of Object.entries(inputs)) store.persist(value, { cellId });
  const workflow = new Workflow({ known: (id) => store.has(id) });
  for (const s of chain) workflow.add(s);
  const report = await new Orchestrator({ store }).run(workflow);
  return {
    report,
    store,
    output<T>(stepId: string): T {
      const r = report.steps.find((s) => s.stepId === stepId);
      if (r?.status !== 'completed') {
        throw new Error(`step ${stepId} is ${r?.status}: ${r?.error?.code} ${r?.error?.message}`);
      }
      return store.resolve(stepId) as T;
    },
    error(): SerializedError {
      const r = report.steps.find((s) => s.status !== 'completed');
      if (!r?.error) throw new Error('every step completed');
      return r.error;
    },
  };
}

/** Runs one step and returns its output, failing with the step's error message otherwise. */
export async function output<T = unknown>(
  s: WorkflowStep,
  inputs: Record<string, unknown> = {},
): Promise<T> {
  return (await run([s], inputs)).output<T>(s.id);
}

/** Runs one step that must fail, and returns its error. */
export async function failure(
  s: WorkflowStep,
  inputs: Record<string, unknown> = {},
): Promise<SerializedError> {
  return (await run([s], inputs)).error();
}

/** The error a synchronous call throws (or fails the test). */
export function thrown(fn: () => unknown): {
  code: string;
  message: string;
  details: Record<string, unknown>;
} {
  try {
    fn();
  } catch (e) {
    return e as { code: string; message: string; details: Record<string, unknown> };
  }
  throw new Error('expected a throw');
}
