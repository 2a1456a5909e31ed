/**
 * Readable names for the cells a workflow names (the wiring, the reasons a step is stale, its
 * lineage): a step's name, a data cell's name in the kernel, else the cell itself
 * (`[3] const nums = …`); ids only where a cell is gone.
 */
import type { INotebookFlow } from './tokens';

/** Cell or step id → its readable label, for every step and every cell the wiring names. */
export function cellLabels(flow: INotebookFlow): Map<string, string> {
  const steps = flow.workflow.steps;
  const labels = new Map(
    steps.map((s, i) => [s.step.id, s.step.name ?? `${s.step.title ?? s.step.slug} [${i + 1}]`]),
  );
  for (const [name, id] of Object.entries(flow.kernelState?.names ?? {})) {
    if (!labels.has(id)) labels.set(id, name);
  }
  for (const s of steps) {
    for (const ref of Object.values(s.step.wiring)) {
      if (!labels.has(ref)) labels.set(ref, flow.describeCell(ref));
    }
  }
  return labels;
}
