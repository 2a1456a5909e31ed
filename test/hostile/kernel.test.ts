/**
 * The kernel against a hostile client: a real `fancyflow kernel` process on 127.0.0.1, driven over
 * ZeroMQ by the test client of `test/kernel/kernel-process.ts`, with forged and unsigned messages,
 * bursts, huge and deeply nested requests, interrupts inside steps and a busy JavaScript thread
 * under heartbeat pings. Every kernel is stopped by pid; no assertion is about speed except the
 * heartbeat's generous liveness bound (each ping answered within 1 s, as a client would demand).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { createSigner, type JsonObject, type JupyterMessage } from '../../src/kernel/wire';
import { CELL_MIME_TYPE, PROTOCOL_VERSION } from '../../src/protocol/messages';
import {
  exitOf,
  startKernel,
  stderrOf,
  stopKernel,
  type StartedKernel,
  type TestClient,
} from '../kernel/kernel-process';

const COMM_ID = 'hostile-comm';
const MB = 1024 * 1024;

let kernel: StartedKernel;
let keyless: StartedKernel | undefined;

beforeAll(async () => {
  kernel = await startKernel();
  await kernel.client.send(
    'shell',
    kernel.client.message('comm_open', { comm_id: COMM_ID, target_name: 'fancyflow', data: {} }),
  );
});

afterAll(() => {
  stopKernel(kernel);
  stopKernel(keyless);
});

/** The size of a message as JSON (its four JSON frames). */
function sizeOf(m: JupyterMessage): number {
  return JSON.stringify([m.header, m.parent_header, m.metadata, m.content]).length;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The kernel still executes code. */
async function expectAlive(client: TestClient): Promise<void> {
  const { reply } = await client.execute('"alive"');
  expect(reply.content.status).toBe('ok');
}

/** Sends comm data (`data` as an object, or raw JSON text) and waits for the comm reply to it. */
async function commRequest(
  client: TestClient,
  data: JsonObject | string,
): Promise<{ data: JsonObject; size: number }> {
  const message = client.message('comm_msg', { comm_id: COMM_ID, data: {} });
  const msgId =
    typeof data === 'string'
      ? await client.sendRaw('shell', message, {
          content: `{"comm_id": ${JSON.stringify(COMM_ID)}, "data": ${data}}`,
        })
      : await client.send('shell', { ...message, content: { comm_id: COMM_ID, data } });
  const reply = await client.waitFor(
    (m) =>
      m.header.msg_type === 'comm_msg' &&
      m.parent_header.msg_id === msgId &&
      (m.content.data as JsonObject).type === 'reply',
    30_000,
    'the comm reply',
  );
  return { data: reply.content.data as JsonObject, size: sizeOf(reply) };
}

/** A heartbeat client: each ping must be echoed within 1 s. */
async function pinger(
  port: number,
): Promise<{ ping(payload: string): Promise<void>; close(): void }> {
  const hb = new zmq.Request();
  hb.linger = 0;
  hb.receiveTimeout = 1_000; // a ping not echoed within 1 s fails the test
  hb.sendTimeout = 1_000;
  hb.connect(`tcp://127.0.0.1:${port}`);
  return {
    async ping(payload) {
      await hb.send(payload);
      const [echo] = await hb.receive();
      expect(echo!.toString()).toBe(payload);
    },
    close: () => hb.close(),
  };
}

/** The pids of the processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there is none
  }
}

/** True while process `pid` runs (a zombie waiting for its reaper has ended). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** True when a TCP server can listen on 127.0.0.1:`port` (nothing else holds it). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('a hostile client of the kernel', () => {
  it('answers every heartbeat within 1 s while a cell computes for 6 s', async () => {
    const c = kernel.client;
    const hb = await pinger(kernel.connection.hb_port);
    const ping = (payload: string) => hb.ping(payload);
    try {
      await ping('before');
      const cell = await c.send(
        'shell',
        c.message('execute_request', {
          code: 'console.log("computing"); const t = Date.now(); while (Date.now() - t < 6000) {}',
        }),
      );
      await c.waitFor(
        (m) => m.header.msg_type === 'stream' && m.parent_header.msg_id === cell,
        30_000,
        'the cell to start computing',
      );
      let answeredWhileBusy = 0;
      for (let i = 0; !c.replies.some((r) => r.parent_header.msg_id === cell); i++) {
        const sent = Date.now();
        await ping(`ping-${i}`);
        if (!c.replies.some((r) => r.parent_header.msg_id === cell)) answeredWhileBusy++;
        await sleep(Math.max(0, 500 - (Date.now() - sent)));
      }
      // The JavaScript thread was blocked for 6 s: pings answered meanwhile were answered by the
      // heartbeat's own thread (with the echo on the JS thread, the first one times out).
      expect(answeredWhileBusy).toBeGreaterThanOrEqual(4);
      expect((await c.reply(cell)).content.status).toBe('ok');
    } finally {
      hb.close();
    }
  });

  it('drops badly signed and unsigned messages on shell and control', async () => {
    const c = kernel.client;
    const forgers = [createSigner('not-the-key'), createSigner('')];
    const dropped: string[] = [];
    for (const channel of ['shell', 'control'] as const) {
      for (const [n, signer] of forgers.entries()) {
        const code = `(globalThis as Record<string, unknown>).forged_${channel}_${n} = true`;
        dropped.push(await c.send(channel, c.message('execute_request', { code }), signer));
        dropped.push(
          await c.send(channel, c.message('shutdown_request', { restart: false }), signer),
        );
        dropped.push(await c.send(channel, c.message('kernel_info_request', {}), signer));
      }
    }
    const check = await c.execute(
      'Object.keys(globalThis).filter((k) => k.startsWith("forged_")).length',
    );
    const data = check.outputs.find((m) => m.header.msg_type === 'execute_result')!.content
      .data as JsonObject;
    expect(data['text/plain']).toBe('0');
    const answered = [...c.replies, ...c.iopubMessages].filter((m) =>
      dropped.includes(String(m.parent_header.msg_id)),
    );
    expect(answered).toEqual([]);
    expect(kernel.child.exitCode).toBeNull();
  });

  it('drops requests whose header is oversized or nested (it would be echoed in every reply)', async () => {
    const c = kernel.client;
    const big = c.message('kernel_info_request', {});
    const bigId = await c.sendRaw('shell', big, {
      header: JSON.stringify({ ...big.header, padding: 'p'.repeat(MB) }),
    });
    const deep = c.message('kernel_info_request', {});
    const headerText = JSON.stringify({ ...deep.header, nested: 0 });
    const deepId = await c.sendRaw('shell', deep, {
      header: headerText.replace('0}', `${'['.repeat(6_000)}${']'.repeat(6_000)}}`),
    });
    await expectAlive(c);
    const answered = [...c.replies, ...c.iopubMessages].filter((m) =>
      [bigId, deepId].includes(String(m.parent_header.msg_id)),
    );
    expect(answered).toEqual([]);
  });

  it('answers a burst of 200 execute requests, in order', async () => {
    const c = kernel.client;
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      ids.push(await c.send('shell', c.message('execute_request', { code: `${i} * 2` })));
    }
    await c.reply(ids[ids.length - 1]!, 120_000);
    const replies = ids.map((id) => c.replies.find((r) => r.parent_header.msg_id === id)!);
    expect(replies.every((r) => r.content.status === 'ok')).toBe(true);
    const counts = replies.map((r) => r.content.execution_count as number);
    expect(counts).toEqual(counts.map((_, i) => counts[0]! + i));
    const arrival = replies.map((r) => c.replies.indexOf(r));
    expect(arrival).toEqual([...arrival].sort((a, b) => a - b));
  });

  it('sends 10 MB of output and stays responsive', async () => {
    const { reply, outputs } = await kernel.client.execute(
      'console.log("x".repeat(10 * 1024 * 1024))',
      { ms: 60_000 },
    );
    expect(reply.content.status).toBe('ok');
    const text = outputs
      .filter((m) => m.header.msg_type === 'stream')
      .map((m) => String(m.content.text))
      .join('');
    expect(text.length).toBe(10 * MB + 1);
    await expectAlive(kernel.client);
  });

  it('answers is_complete like a console expects', async () => {
    const cases: [string, string][] = [
      ['1 + 1', 'complete'],
      ['const s = `abc', 'incomplete'],
      ['const s = `abc\n  def ${x}', 'incomplete'],
      ['/* a comment\n * that goes on', 'incomplete'],
      ['const s = "abc\\\n', 'incomplete'],
      ['if (x) {', 'incomplete'],
      ['const s = "abc', 'invalid'],
      ['const = ;', 'invalid'],
    ];
    for (const [code, status] of cases) {
      const r = await kernel.client.request('shell', 'is_complete_request', { code });
      expect(r.content.status, code).toBe(status);
    }
  });

  it('interrupts a step that computes synchronously: SIGINT ends it cancelled', async () => {
    const c = kernel.client;
    const define = await c.execute(
      [
        'import { z } from "zod";',
        'import { step } from "fancyflow";',
        'const spin = step({ slug: "hostile_spin", inputs: {}, output: z.number() }, () => {',
        '  console.log("spinning");',
        '  const t = Date.now();',
        '  while (Date.now() - t < 30000) {}',
        '  return 1;',
        '});',
      ].join('\n'),
    );
    expect(define.reply.content.status).toBe('ok');
    const run = await c.send(
      'shell',
      c.message('execute_request', { code: 'spin({})' }, { cellId: 'spinning' }),
    );
    await c.waitFor(
      (m) =>
        m.header.msg_type === 'stream' &&
        m.parent_header.msg_id === run &&
        String(m.content.text).includes('spinning'),
      30_000,
      'the step to start spinning',
    );
    process.kill(kernel.child.pid!, 'SIGINT');
    // Without the interrupt the step would complete (status ok) after 30 s: 20 s is a bound.
    const reply = await c.reply(run, 20_000);
    expect(reply.content).toMatchObject({ status: 'error', ename: 'FancyflowError' });
    expect(String(reply.content.evalue)).toMatch(/^CANCELLED: Step .*hostile_spin.* interrupted/);

    const state = await commRequest(c, { v: PROTOCOL_VERSION, id: 'state', type: 'get-workflow' });
    expect(state.data).toMatchObject({
      ok: true,
      result: { statuses: { spinning: { status: 'cancelled', error: { code: 'CANCELLED' } } } },
    });
    await expectAlive(c);
  });

  it('never echoes a 64 MB cellId: the reply is small and coded', async () => {
    const c = kernel.client;
    const huge = 'c'.repeat(64 * MB);
    const preview = await commRequest(c, {
      v: PROTOCOL_VERSION,
      id: 'big-cell',
      type: 'preview',
      cellId: huge,
    });
    expect(preview.data).toMatchObject({
      id: 'big-cell',
      ok: false,
      error: { code: 'PROTOCOL', details: { issues: [{ path: ['cellId'] }] } },
    });
    expect(preview.size).toBeLessThan(64 * 1024);

    // an execute with a 64 MB cell id in its metadata gets an id of the kernel's own
    const executed = await c.execute('[21, 2]', { cellId: huge, ms: 60_000 });
    expect(executed.reply.content.status).toBe('ok');
    const result = executed.outputs.find((m) => m.header.msg_type === 'execute_result')!;
    expect((result.content.data as JsonObject)[CELL_MIME_TYPE]).toMatchObject({
      cell: { id: expect.stringMatching(/^cell-\d+$/) as unknown },
    });
    for (const m of [executed.reply, ...executed.outputs])
      expect(sizeOf(m)).toBeLessThan(64 * 1024);
  });

  it('never echoes other oversized request values (request ids, comm ids, expression names)', async () => {
    const c = kernel.client;
    const long = 'i'.repeat(MB);
    const badId = await commRequest(c, { v: PROTOCOL_VERSION, id: long, type: 'hello' });
    expect(badId.data).toMatchObject({ id: '', ok: false, error: { code: 'PROTOCOL' } });
    expect(badId.size).toBeLessThan(64 * 1024);
    const badKey = await commRequest(c, { v: PROTOCOL_VERSION, id: 'k', type: 'hello', [long]: 1 });
    expect(badKey.size).toBeLessThan(64 * 1024);

    const open = await c.send(
      'shell',
      c.message('comm_open', { comm_id: long, target_name: 'no-such-target', data: {} }),
    );
    const { reply } = await c.execute('"after"', {
      content: { user_expressions: { [long]: '1', short: '2' } },
    });
    expect(Object.keys(reply.content.user_expressions as JsonObject)).toEqual(['short']);
    expect(sizeOf(reply)).toBeLessThan(64 * 1024);
    const info = await c.request('shell', 'comm_info_request', {});
    expect(Object.keys(info.content.comms as JsonObject)).not.toContain(long);
    const caused = c.iopubMessages.filter((m) => m.parent_header.msg_id === open);
    expect(caused.filter((m) => m.header.msg_type === 'comm_close')).toEqual([]);
    for (const m of caused) expect(sizeOf(m)).toBeLessThan(64 * 1024);
  });

  it('refuses prototype keys and deep nesting in comm requests with a coded error and pointer', async () => {
    const c = kernel.client;
    const proto = await commRequest(c, '{"v": 1, "id": "p1", "type": "hello", "__proto__": {}}');
    expect(proto.data).toMatchObject({
      id: 'p1',
      ok: false,
      error: { code: 'PROTOCOL', details: { pointer: '/__proto__', reason: 'forbidden-key' } },
    });
    const nested = await commRequest(
      c,
      '{"v": 1, "id": "p2", "type": "set-workflow", "workflow": {"formatVersion": 1, "steps": [{"config": {"a": {"constructor": 1}}}]}}',
    );
    expect(nested.data).toMatchObject({
      error: {
        code: 'PROTOCOL',
        details: { pointer: '/workflow/steps/0/config/a/constructor', key: 'constructor' },
      },
    });
    const depth = 100_000;
    const deep = await commRequest(
      c,
      `{"v": 1, "id": "p3", "type": "hello", "extra": ${'['.repeat(depth)}${']'.repeat(depth)}}`,
    );
    expect(deep.data).toMatchObject({
      id: 'p3',
      error: { code: 'PROTOCOL', details: { reason: 'too-deep', maxDepth: 256 } },
    });
    expect((deep.data.error as { details: { pointer: string } }).details.pointer).toBe(
      '/extra' + '/0'.repeat(255), // the root is level 1, `extra` level 2
    );
    expect(deep.size).toBeLessThan(64 * 1024);
    await expectAlive(c);
  });
});

describe('a kernel whose connection file has no key', () => {
  it('warns on its stderr that messages are unsigned', async () => {
    // In a process group of its own, as Jupyter starts kernels.
    keyless = await startKernel({ connection: { key: '' }, detached: true });
    expect(stderrOf(keyless.child)).toMatch(/WARNING: the connection file .* has no key/);
    await expectAlive(keyless.client);
  });

  it("keeps its heartbeat through an interrupt of the kernel's process group", async () => {
    const k = keyless!;
    // jupyter_client interrupts with os.killpg(pgid, SIGINT): the heartbeat process gets it too.
    process.kill(-k.child.pid!, 'SIGINT');
    await sleep(300);
    const hb = await pinger(k.connection.hb_port);
    try {
      await hb.ping('after-sigint');
    } finally {
      hb.close();
    }
    await expectAlive(k.client);
  });

  it('leaves nothing behind when SIGKILLed: no helper process, the heartbeat port free', async () => {
    const k = keyless!;
    const pid = k.child.pid!;
    // The heartbeat is a thread of the kernel's: the kernel starts no process that could outlive it.
    const helpers = childrenOf(pid);
    expect(helpers).toEqual([]);
    process.kill(pid, 'SIGKILL'); // the kernel only, not its group: nothing else is told
    await exitOf(k.child);
    expect(isAlive(pid)).toBe(false);
    // Nothing answers on the heartbeat port any more, and it can be bound again.
    const hb = await pinger(k.connection.hb_port);
    try {
      await expect(hb.ping('anyone?')).rejects.toThrow();
    } finally {
      hb.close();
    }
    expect(await portIsFree(k.connection.hb_port)).toBe(true);
  });
});

describe('a kernel that shuts down', () => {
  it('ends its heartbeat with it', async () => {
    const c = kernel.client;
    const helpers = childrenOf(kernel.child.pid!);
    const reply = await c.request('control', 'shutdown_request', { restart: false });
    expect(reply.content.status).toBe('ok');
    expect(await exitOf(kernel.child)).toBe(0);
    for (let waited = 0; helpers.some(isAlive) && waited < 10_000; waited += 100) await sleep(100);
    for (const helper of helpers) expect(isAlive(helper), `helper ${helper}`).toBe(false);
    expect(await portIsFree(kernel.connection.hb_port)).toBe(true);
  });
});
