/**
 * Which cells a run from the workflow panel executes. A run is cell execution, the same as
 * Shift-Enter: the step cells asked for, plus what they need that this kernel has not run yet —
 * every code cell above the last of them that has not executed in this kernel (imports, helpers,
 * inputs, step definitions), and the cells known to define steps the kernel lacks. All in
 * notebook order, because the notebook is the program. Pure, so it tests in Node.
 */

/** What a plan needs of one notebook cell. */
export interface PlanCell {
  id: string;
  /** `code`, `markdown` or `raw`. */
  cellType: string;
  /** The step the cell makes (from its `fancyflow` metadata). */
  step?: { stepId: string; slug: string };
  /** True when the code is only white space (nothing to execute). */
  empty: boolean;
  /** JupyterLab's trust: the user's own server signed the notebook, or the user ran the cell. */
  trusted: boolean;
}

/** What the kernel (and the saved document) say. */
export interface KernelFacts {
  /** Cells executed in this kernel. */
  executed: ReadonlySet<string>;
  /** Steps registered in this kernel. */
  registered: ReadonlySet<string>;
  /** Slug → the cell that defines the step (from the kernel, else the saved document). */
  definitions: Readonly<Record<string, string>>;
}

/** What to run: the whole workflow, from a step on, one step, some steps, or some cells. */
export type RunRequest =
  | { mode: 'all' }
  | { mode: 'from'; stepId: string }
  | { mode: 'step'; stepId: string }
  | { mode: 'steps'; stepIds: readonly string[] }
  | { mode: 'cells'; cellIds: readonly string[] };

/** The cells a run executes. */
export interface RunPlan {
  /** Every cell to execute, in notebook order. */
  cells: string[];
  /** The cells asked for (step cells, or the given cells). */
  targets: string[];
  /** The other cells of {@link cells}: what the targets need first. */
  prerequisites: string[];
  /** Cells of {@link cells} that JupyterLab does not trust. */
  untrusted: string[];
  /** Slugs of target steps the kernel lacks and no cell is known to define. */
  undefinedSlugs: string[];
}

function targetsOf(cells: readonly PlanCell[], request: RunRequest): PlanCell[] {
  const steps = cells.filter((c) => c.cellType === 'code' && c.step !== undefined);
  const isStep = (c: PlanCell, id: string) => c.id === id || c.step?.stepId === id;
  switch (request.mode) {
    case 'all':
      return steps;
    case 'from': {
      const at = steps.findIndex((c) => isStep(c, request.stepId));
      return at < 0 ? [] : steps.slice(at);
    }
    case 'step':
      return steps.filter((c) => isStep(c, request.stepId)).slice(0, 1);
    case 'steps': {
      const wanted = new Set(request.stepIds);
      return steps.filter((c) => c.step !== undefined && wanted.has(c.step.stepId));
    }
    case 'cells': {
      const wanted = new Set(request.cellIds);
      return cells.filter((c) => c.cellType === 'code' && wanted.has(c.id));
    }
  }
}

/**
 * The plan of a run.
 *
 * @example
 * planRun(cells, { executed: new Set(), registered: new Set(['filter']), definitions: {} },
 *   { mode: 'step', stepId: 'c4' }); // c4 and every code cell above it: a fresh kernel ran none
 */
export function planRun(
  cells: readonly PlanCell[],
  facts: KernelFacts,
  request: RunRequest,
): RunPlan {
  const targets = targetsOf(cells, request).filter((c) => !c.empty);
  const include = new Set(targets.map((c) => c.id));
  const position = new Map(cells.map((c, i) => [c.id, i]));
  const undefinedSlugs: string[] = [];
  for (const target of targets) {
    const slug = target.step?.slug;
    if (slug === undefined || facts.registered.has(slug)) continue;
    const definedBy = facts.definitions[slug];
    if (definedBy !== undefined && position.has(definedBy)) include.add(definedBy);
    else if (!undefinedSlugs.includes(slug)) undefinedSlugs.push(slug);
  }
  const last = Math.max(-1, ...[...include].map((id) => position.get(id) ?? -1));
  for (let i = 0; i < last; i++) {
    const cell = cells[i]!;
    if (cell.cellType === 'code' && !cell.empty && !facts.executed.has(cell.id))
      include.add(cell.id);
  }
  const planned = cells.filter((c) => include.has(c.id));
  const targetIds = new Set(targets.map((c) => c.id));
  return {
    cells: planned.map((c) => c.id),
    targets: targets.map((c) => c.id),
    prerequisites: planned.filter((c) => !targetIds.has(c.id)).map((c) => c.id),
    untrusted: planned.filter((c) => !c.trusted).map((c) => c.id),
    undefinedSlugs,
  };
}
