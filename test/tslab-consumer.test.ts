/**
 * The package root must type-check under tslab's TypeScript (a 5.0.4 fork with "Node10" module
 * resolution, where package.json `exports` is ignored) and load with `require` on Node 20: this is
 * how notebooks import it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as TS from 'typescript';

const root = path.resolve(__dirname, '..');
let dir: string;

const consumer = `
import { z } from 'zod';
import { step, steps, table, Workflow, Orchestrator, MemoryDatumStore, isFancyflowError, FancyflowError } from 'fancyflow';
import type { FancyCell, RunReport, WorkflowStep } from 'fancyflow';

const double = step(
  { slug: 'consumer_double', inputs: { x: z.number() }, config: z.object({ k: z.number().default(2) }), output: z.number() },
  ({ x }, { k }) => x * k,
);
const rows = step(
  { slug: 'consumer_rows', inputs: { t: table({ a: 'number' }) }, output: table(), traits: { execution: 'row_wise' } },
  (row) => ({ b: (row.a ?? 0) + 1 }),
);
type Config = z.infer<typeof double.contracts.config>;
// every registered step through steps: the standard ones typed precisely, others generally
const viaSteps: WorkflowStep[] = [
  steps.consumer_double({ x: 'input' }, { k: 4 }),
  steps.power_to_weight({ cars: 'cars' }, { factor: 2 }, { name: 'ptw' }),
  steps['slug-with-dash']({}),
  steps.limit({ table: 'x' }, { n: 5 }),
];
// @ts-expect-error limit's n is a number
steps.limit({ table: 'x' }, { n: 'five' });
const s: WorkflowStep = double({ x: 'input' }, { k: 3 }, { id: 'doubled' });
const wf: Workflow = new Workflow({ known: () => true }).add(s);
const store = new MemoryDatumStore();
const cell: FancyCell = store.persist(21, { cellId: 'input' });
const report: Promise<RunReport> = new Orchestrator({ store }).run(wf);
const n: number = ${'`${cell.id}`'}.length;
const e: unknown = new FancyflowError('STEP_FAILED', 'x');
if (isFancyflowError(e)) void [e.code, n, rows.slug, viaSteps];
export { report, type Config };
`;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fancyflow-consumer-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(root, path.join(dir, 'node_modules', 'fancyflow'), 'dir');
  fs.symlinkSync(
    path.join(root, 'node_modules', 'zod'),
    path.join(dir, 'node_modules', 'zod'),
    'dir',
  );
  fs.writeFileSync(path.join(dir, 'consumer.ts'), consumer);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the package root as a notebook sees it', () => {
  it('type-checks under tslab TypeScript with Node10 resolution (strict)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ts = require(
      require.resolve('@tslab/typescript-for-tslab', {
        paths: [path.join(root, 'node_modules', 'tslab')],
      }),
    ) as typeof TS;
    expect(ts.version.startsWith('5.0')).toBe(true);
    const program = ts.createProgram([path.join(dir, 'consumer.ts')], {
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.NodeJs,
      esModuleInterop: true,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      types: [],
    });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });

  it('loads with require on Node 20 and runs a workflow', () => {
    const script = `
      const ff = require('fancyflow');
      const { z } = require('zod');
      const inc = ff.step({ slug: 'req_inc', inputs: { x: z.number() }, output: z.number() }, ({ x }) => x + 1);
      const store = new ff.MemoryDatumStore();
      store.persist(1, { cellId: 'one' });
      const wf = new ff.Workflow({ known: (id) => store.has(id) }).add(inc({ x: 'one' }, {}, { id: 'two' }));
      new ff.Orchestrator({ store }).run(wf).then((r) => console.log(r.status, store.resolve('two')));
    `;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' });
    expect(out.trim()).toBe('completed 2');
  });
});
