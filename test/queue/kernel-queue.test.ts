/**
 * The kernel on a queue (FANCYFLOW_QUEUE, or the lab's `queue` setting in `hello`): a step cell's
 * step runs on a worker as part of the cell's execution, the cell shows its output from the shared
 * store; a step the notebook defines in its own cells runs in the kernel, with a note saying so; a
 * memory store is refused. A real kernel over ZeroMQ, a real worker process, a real redis-server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELL_MIME_TYPE, PROTOCOL_VERSION } from '../../src/protocol/messages';
import type { JsonObject, JupyterMessage } from '../../src/kernel/wire';
import { binPath, startKernel, stopKernel, type StartedKernel } from '../kernel/kernel-process';
import { startRedis, type RedisService } from '../support/services';

let redis: RedisService;
let worker: ChildProcess;
let workerLog = '';
let kernel: StartedKernel | undefined;
const storeDir = mkdtempSync(path.join(tmpdir(), 'ff-kernel-queue-'));

beforeAll(async () => {
  redis = await startRedis();
  worker = spawn(process.execPath, [binPath, 'worker', '--queue', redis.url], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  worker.stderr!.setEncoding('utf8').on('data', (d: string) => (workerLog += d));
  const deadline = Date.now() + 30_000;
  while (!/ready \(pid/.test(workerLog)) {
    if (Date.now() > deadline || worker.exitCode !== null) throw new Error(workerLog);
    await new Promise((r) => setTimeout(r, 25));
  }
});

afterAll(async () => {
  stopKernel(kernel);
  worker?.kill('SIGKILL');
  await redis?.stop();
  rmSync(storeDir, { recursive: true, force: true });
});

function ofType(outputs: JupyterMessage[], type: string): JupyterMessage[] {
  return outputs.filter((m) => m.header.msg_type === type);
}

function cellOf(outputs: JupyterMessage[]): JsonObject | undefined {
  const result = ofType(outputs, 'execute_result')[0] ?? ofType(outputs, 'display_data')[0];
  return (result?.content.data as Record<string, JsonObject> | undefined)?.[CELL_MIME_TYPE];
}

describe('a kernel with a queue', () => {
  it('runs step cells on the workers and shows their outputs from the shared store', async () => {
    kernel = await startKernel({
      env: { FANCYFLOW_STORE: storeDir, FANCYFLOW_QUEUE: redis.url },
    });
    const c = kernel.client;
    const first = await c.execute(
      'import { steps, cell, step, aqTable } from "fancyflow";\n' +
        'steps.read_json({}, { dataset: "cars.json", autoType: true }, { name: "cars" })',
      { cellId: 'cars-cell' },
    );
    expect(first.reply.content.status).toBe('ok');
    expect(cellOf(first.outputs)).toMatchObject({
      cell: { id: 'cars-cell', kind: 'table', summary: { shape: [406, 9] } },
    });
    expect(workerLog).toMatch(/step cars-cell: completed/);

    const second = await c.execute(
      'steps.drop_nulls({ table: cell("cars") }, { threshold: 0 }, { name: "clean" })',
      { cellId: 'clean-cell' },
    );
    expect(cellOf(second.outputs)).toMatchObject({ cell: { summary: { shape: [392, 9] } } });
    expect(workerLog).toMatch(/step clean-cell: completed/);

    // a step this notebook defines: the workers do not have its code
    await c.execute(
      'const rows = step({ slug: "nb_rows", inputs: { t: aqTable() }, output: aqTable() }, ({ t }) => t.slice(0, 3));',
      { cellId: 'define' },
    );
    const own = await c.execute('rows({ t: cell("clean") }, {}, { name: "three" })', {
      cellId: 'own-cell',
    });
    expect(cellOf(own.outputs)).toMatchObject({ cell: { summary: { shape: [3, 9] } } });
    const notes = ofType(own.outputs, 'stream')
      .map((m) => String(m.content.text))
      .join('');
    expect(notes).toContain('is defined in this notebook (cell define), so it ran in the kernel');
    expect(notes).toContain('fancyflow export --steps-module');
    expect(workerLog).not.toMatch(/own-cell/);
  });

  it('runs in the kernel again when the lab asks for no queue', async () => {
    const c = kernel!.client;
    await c.send(
      'shell',
      c.message('comm_open', {
        comm_id: 'q1',
        target_name: 'fancyflow',
        data: { v: PROTOCOL_VERSION, id: 'h1', type: 'hello', queue: '' },
      }),
    );
    const reply = await c.waitFor(
      (m) => m.header.msg_type === 'comm_msg' && (m.content.data as JsonObject).id === 'h1',
      20_000,
      'the hello reply',
    );
    expect((reply.content.data as JsonObject).result).toMatchObject({ queue: '' });
    const local = await c.execute('steps.limit({ table: cell("clean") }, { n: 5 })', {
      cellId: 'local-cell',
    });
    expect(cellOf(local.outputs)).toMatchObject({ cell: { summary: { shape: [5, 9] } } });
    expect(workerLog).not.toMatch(/local-cell/);
  });

  it('refuses a queue with a memory store: the workers could not see its cells', async () => {
    stopKernel(kernel);
    kernel = await startKernel({ env: { FANCYFLOW_QUEUE: redis.url } });
    const { reply, outputs } = await kernel.client.execute(
      'import { steps } from "fancyflow";\nsteps.read_json({}, { dataset: "cars.json" })',
      { cellId: 'nowhere' },
    );
    expect(reply.content.status).toBe('error');
    const text = JSON.stringify(outputs.map((m) => m.content));
    expect(text).toContain('QUEUE_UNAVAILABLE');
    expect(text).toContain('FANCYFLOW_STORE');
  });
});
