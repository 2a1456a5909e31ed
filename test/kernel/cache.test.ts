/**
 * The cache in a kernel session (a real kernel over ZeroMQ, its memory store): re-running an
 * unchanged step cell is answered from the store and its output says so; `list-steps` gives each
 * step's code fingerprint and cacheability; events and the state carry StepRecords; a `recompute`
 * request makes the next run of a cell compute again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject, JupyterMessage } from '../../src/kernel/wire';
import { CELL_MIME_TYPE, PROTOCOL_VERSION } from '../../src/protocol/messages';
import { startKernel, stopKernel, type StartedKernel, type TestClient } from './kernel-process';

let kernel: StartedKernel;

beforeAll(async () => {
  kernel = await startKernel();
});

afterAll(() => {
  stopKernel(kernel);
});

const COMM_ID = 'cache-comm';
let counter = 0;

async function commRequest(client: TestClient, type: string, extra: JsonObject = {}) {
  const id = `c${++counter}`;
  const msgId = await client.send(
    'shell',
    client.message('comm_msg', {
      comm_id: COMM_ID,
      data: { v: PROTOCOL_VERSION, id, type, ...extra },
    }),
  );
  const reply = await client.waitFor(
    (m) =>
      m.header.msg_type === 'comm_msg' &&
      m.parent_header.msg_id === msgId &&
      (m.content.data as JsonObject).id === id,
    20_000,
    `the reply to ${type}`,
  );
  return reply.content.data as { ok: boolean; result: unknown };
}

function card(outputs: JupyterMessage[]): { step?: { status: string }; html: string } {
  const result = outputs.find((m) => m.header.msg_type === 'execute_result');
  const data = result?.content.data as Record<string, unknown>;
  const display = data[CELL_MIME_TYPE] as { step?: { status: string } };
  return { ...display, html: String(data['text/html'] ?? '') };
}

function plain(outputs: JupyterMessage[]): string {
  const result = outputs.find((m) => m.header.msg_type === 'execute_result');
  return String((result?.content.data as Record<string, unknown>)['text/plain']);
}

describe('the cache in a kernel session', () => {
  it('answers an unchanged step cell from the store, says so, and recomputes when asked', async () => {
    const c = kernel.client;
    await c.send(
      'shell',
      c.message('comm_open', { comm_id: COMM_ID, target_name: 'fancyflow', data: {} }),
    );
    await commRequest(c, 'hello');
    const define = await c.execute(
      [
        'import { z } from "zod";',
        'import { step, cell } from "fancyflow";',
        'let runs = 0;',
        'const counted = step({ slug: "counted", inputs: { x: z.array(z.number()) }, config: z.object({ k: z.number().default(1) }), output: z.array(z.number()) }, ({ x }, { k }) => { runs++; return x.map((v) => v * k); });',
        'const noisy = step({ slug: "noisy", inputs: {}, output: z.number(), traits: { cache: false } }, () => { runs += 100; return 1; });',
      ].join('\n'),
      { cellId: 'define' },
    );
    expect(define.reply.content.status).toBe('ok');
    const listed = (await commRequest(c, 'list-steps')).result as {
      steps: { slug: string; code: string; cacheable: boolean }[];
    };
    const counted = listed.steps.find((s) => s.slug === 'counted')!;
    expect(counted.code).toMatch(/^[0-9a-f]{32}$/);
    expect(counted.cacheable).toBe(true);
    expect(listed.steps.find((s) => s.slug === 'noisy')!.cacheable).toBe(false);

    await c.execute('[1, 2, 3]', { cellId: 'data' });
    const first = await c.execute('counted({ x: cell("data") }, { k: 2 })', { cellId: 'step' });
    expect(card(first.outputs).step?.status).toBe('completed');
    const again = await c.execute('counted({ x: cell("data") }, { k: 2 })', { cellId: 'step' });
    expect(plain(again.outputs)).toBe('[ 2, 4, 6 ]');
    expect(card(again.outputs).step?.status).toBe('cached');
    expect(card(again.outputs).html).toContain('cached');
    expect(plain((await c.execute('runs')).outputs)).toBe('1');

    const state = (await commRequest(c, 'get-workflow')).result as {
      records: Record<string, { key: string; code: string; config: unknown; output: string }>;
      statuses: Record<string, { status: string; record?: { cached: boolean } }>;
    };
    expect(state.records.step).toMatchObject({ code: counted.code, config: { k: 2 } });
    expect(state.statuses.step).toMatchObject({ status: 'cached', record: { cached: true } });

    // a config change recomputes
    await c.execute('counted({ x: cell("data") }, { k: 3 })', { cellId: 'step' });
    expect(plain((await c.execute('runs')).outputs)).toBe('2');
    // a forced recompute (the panel's modifier key): one-shot
    const marked = await commRequest(c, 'recompute', { cellIds: ['step'] });
    expect(marked).toMatchObject({ ok: true, result: { cellIds: ['step'] } });
    const forced = await c.execute('counted({ x: cell("data") }, { k: 3 })', { cellId: 'step' });
    expect(card(forced.outputs).step?.status).toBe('completed');
    expect(plain((await c.execute('runs')).outputs)).toBe('3');
    const after = await c.execute('counted({ x: cell("data") }, { k: 3 })', { cellId: 'step' });
    expect(card(after.outputs).step?.status).toBe('cached');

    // a step that opts out runs every time
    await c.execute('noisy({}, {})', { cellId: 'noisy' });
    await c.execute('noisy({}, {})', { cellId: 'noisy' });
    expect(plain((await c.execute('runs')).outputs)).toBe('203');
  });
});
