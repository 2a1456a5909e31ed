/**
 * `steps.<slug>` in the real kernel (over ZeroMQ): a step defined in one cell with `step()` is
 * called as `steps.<its slug>(…)` in the next, type-checked by tslab's TypeScript and run by the
 * Orchestrator; an unknown slug is a coded error naming the closest slugs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JupyterMessage } from '../../src/kernel/wire';
import { CELL_MIME_TYPE } from '../../src/protocol/messages';
import { startKernel, stopKernel, type StartedKernel } from './kernel-process';

let kernel: StartedKernel;

beforeAll(async () => {
  kernel = await startKernel();
});

afterAll(() => {
  stopKernel(kernel);
});

function resultData(outputs: JupyterMessage[]): Record<string, unknown> {
  const results = outputs.filter((m) => m.header.msg_type === 'execute_result');
  expect(results).toHaveLength(1);
  return results[0]!.content.data as Record<string, unknown>;
}

describe('steps reaches the steps defined in the notebook', () => {
  it('calls a step defined in an earlier cell as steps.<slug>', async () => {
    const c = kernel.client;
    const define = await c.execute(
      [
        'import { z } from "zod";',
        'import { step } from "fancyflow";',
        'step(',
        '  { slug: "power_to_weight", inputs: { car: z.object({ hp: z.number(), kg: z.number() }) },',
        '    config: z.object({ digits: z.number().int().default(3) }), output: z.number() },',
        '  ({ car }, { digits }) => Number((car.hp / car.kg).toFixed(digits)),',
        ');',
        '"defined"',
      ].join('\n'),
      { cellId: 'define' },
    );
    expect(define.reply.content.status).toBe('ok');
    // a data cell (a JSON object): numbers alone are shown, not listed as data
    await c.execute('({ hp: 130, kg: 1504 })', { cellId: 'car' });
    // the code the palette inserts for it
    const call = await c.execute(
      [
        "import { steps, cell } from 'fancyflow';",
        "steps.power_to_weight({ car: cell('car') }, { digits: 4 }, { name: 'ptw' })",
      ].join('\n'),
      { cellId: 'ptw-cell' },
    );
    expect(call.reply.content.status).toBe('ok');
    const data = resultData(call.outputs);
    expect(data['text/plain']).toBe('0.0864');
    expect(data[CELL_MIME_TYPE]).toMatchObject({
      cell: { id: 'ptw-cell', name: 'ptw', producedBy: { slug: 'power_to_weight' } },
      step: { status: 'completed' },
    });
  });

  it('type-checks the call with tslab (a wrong standard config is refused before running)', async () => {
    const bad = await kernel.client.execute(
      "import { steps } from 'fancyflow';\nsteps.limit({ table: 'x' }, { n: 'ten' })",
    );
    expect(bad.reply.content).toMatchObject({ status: 'error', ename: 'TSError' });
    expect(String(bad.reply.content.evalue)).toMatch(/not assignable to type 'number'/);
  });

  it('an unknown slug is UNKNOWN_STEP with the closest slugs', async () => {
    const { reply } = await kernel.client.execute(
      "import { steps } from 'fancyflow';\nsteps.power_to_wieght({})",
    );
    expect(reply.content).toMatchObject({ status: 'error', ename: 'FancyflowError' });
    expect(String(reply.content.evalue)).toMatch(/UNKNOWN_STEP|Unknown step/);
    expect(String(reply.content.evalue)).toMatch(/power_to_weight/);
  });
});
