import { describe, expect, it } from 'vitest';
import { planRun, type KernelFacts, type PlanCell } from './run-plan';

function code(id: string, step?: string, extra: Partial<PlanCell> = {}): PlanCell {
  return {
    id,
    cellType: 'code',
    ...(step ? { step: { stepId: id, slug: step } } : {}),
    empty: false,
    trusted: true,
    ...extra,
  };
}

const markdown: PlanCell = { id: 'title', cellType: 'markdown', empty: false, trusted: false };

// title, imports, a definition, a helper, three steps, a cell after them
const notebook: PlanCell[] = [
  markdown,
  code('imports'),
  code('define', undefined, { trusted: false }),
  code('read', 'read_json'),
  code('helper'),
  code('power', 'power_to_weight'),
  code('blank', undefined, { empty: true }),
  code('chart', 'chart'),
  code('after'),
];

const fresh: KernelFacts = {
  executed: new Set(),
  registered: new Set(['read_json', 'chart']),
  definitions: { power_to_weight: 'define' },
};

const warm: KernelFacts = {
  executed: new Set(notebook.map((c) => c.id)),
  registered: new Set(['read_json', 'chart', 'power_to_weight']),
  definitions: { power_to_weight: 'define' },
};

describe('planRun', () => {
  it('after a restart, run all executes every code cell up to the last step, in notebook order', () => {
    const plan = planRun(notebook, fresh, { mode: 'all' });
    expect(plan.cells).toEqual(['imports', 'define', 'read', 'helper', 'power', 'chart']);
    expect(plan.targets).toEqual(['read', 'power', 'chart']);
    expect(plan.prerequisites).toEqual(['imports', 'define', 'helper']);
    expect(plan.untrusted).toEqual(['define']);
    expect(plan.undefinedSlugs).toEqual([]);
  });

  it('in a kernel that ran everything, runs only the step cells asked for', () => {
    expect(planRun(notebook, warm, { mode: 'all' }).cells).toEqual(['read', 'power', 'chart']);
    expect(planRun(notebook, warm, { mode: 'from', stepId: 'power' }).cells).toEqual([
      'power',
      'chart',
    ]);
    expect(planRun(notebook, warm, { mode: 'step', stepId: 'power' }).cells).toEqual(['power']);
  });

  it('runs the cells above a step that this kernel has not run, and nothing below it', () => {
    const facts = { ...warm, executed: new Set(['imports', 'define', 'read']) };
    expect(planRun(notebook, facts, { mode: 'step', stepId: 'power' }).cells).toEqual([
      'helper',
      'power',
    ]);
  });

  it('re-runs a definition cell whose step is not registered although the cell ran', () => {
    const facts = { ...warm, registered: new Set(['read_json', 'chart']) };
    const plan = planRun(notebook, facts, { mode: 'step', stepId: 'power' });
    expect(plan.cells).toEqual(['define', 'power']);
    expect(plan.prerequisites).toEqual(['define']);
  });

  it('names steps no cell is known to define', () => {
    const facts = { ...fresh, definitions: {} };
    const plan = planRun(notebook, facts, { mode: 'step', stepId: 'power' });
    expect(plan.undefinedSlugs).toEqual(['power_to_weight']);
    expect(plan.cells).toEqual(['imports', 'define', 'read', 'helper', 'power']);
  });

  it('runs given cells with what they need; unknown ids and empty cells run nothing', () => {
    expect(planRun(notebook, fresh, { mode: 'cells', cellIds: ['define'] }).cells).toEqual([
      'imports',
      'define',
    ]);
    expect(planRun(notebook, fresh, { mode: 'cells', cellIds: ['blank'] }).cells).toEqual([]);
    expect(planRun(notebook, fresh, { mode: 'step', stepId: 'nope' }).cells).toEqual([]);
  });

  it('runs exactly the stale steps asked for, in notebook order, with what they need above', () => {
    // the steps skipped between them (read) are not run again in a kernel that ran them
    expect(planRun(notebook, warm, { mode: 'steps', stepIds: ['chart', 'power'] }).cells).toEqual([
      'power',
      'chart',
    ]);
    const facts = { ...warm, executed: new Set(['imports', 'define', 'read', 'power']) };
    const plan = planRun(notebook, facts, { mode: 'steps', stepIds: ['chart'] });
    expect(plan.cells).toEqual(['helper', 'chart']);
    expect(plan.targets).toEqual(['chart']);
    expect(plan.prerequisites).toEqual(['helper']);
    expect(planRun(notebook, warm, { mode: 'steps', stepIds: [] }).cells).toEqual([]);
    expect(planRun(notebook, warm, { mode: 'steps', stepIds: ['helper'] }).cells).toEqual([]);
  });
});
