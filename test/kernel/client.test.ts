/**
 * The kernel over its real wire protocol: a Node ZeroMQ client drives `fancyflow kernel` (a real
 * process) through executes, comms, interrupts, a restart, a badly signed message and cell-id
 * bookkeeping.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { createSigner, type JsonObject, type JupyterMessage } from '../../src/kernel/wire';
import { CELL_MIME_TYPE, PROTOCOL_VERSION, type WorkflowState } from '../../src/protocol/messages';
import { applyStatePatch, type StatePatch } from '../../src/protocol/state-patch';
import {
  exitOf,
  repoRoot,
  spawnKernel,
  startKernel,
  stopKernel,
  TestClient,
  type StartedKernel,
} from './kernel-process';

let kernel: StartedKernel;
let restarted: StartedKernel | undefined;
let diskKernel: StartedKernel | undefined;

beforeAll(async () => {
  kernel = await startKernel();
});

afterAll(() => {
  stopKernel(kernel);
  stopKernel(restarted);
  stopKernel(diskKernel);
});

function ofType(outputs: JupyterMessage[], type: string): JupyterMessage[] {
  return outputs.filter((m) => m.header.msg_type === type);
}

function resultData(outputs: JupyterMessage[]): Record<string, unknown> {
  const results = ofType(outputs, 'execute_result');
  expect(results).toHaveLength(1);
  return results[0]!.content.data as Record<string, unknown>;
}

// ---- a comm on the fancyflow target ------------------------------------------------------------

const COMM_ID = 'test-comm-1';
let requestCounter = 0;

function commMessages(client: TestClient): JsonObject[] {
  return client.iopubMessages
    .filter((m) => m.header.msg_type === 'comm_msg' && m.content.comm_id === COMM_ID)
    .map((m) => m.content.data as JsonObject);
}

async function commRequest(client: TestClient, data: unknown, ms = 20_000): Promise<JsonObject> {
  const id =
    typeof data === 'object' && data !== null && typeof (data as { id?: unknown }).id === 'string'
      ? (data as { id: string }).id
      : undefined;
  const msgId = await client.send(
    'shell',
    client.message('comm_msg', { comm_id: COMM_ID, data: data as JsonObject }),
  );
  const reply = await client.waitFor(
    (m) =>
      m.header.msg_type === 'comm_msg' &&
      m.parent_header.msg_id === msgId &&
      (m.content.data as JsonObject).type === 'reply' &&
      (id === undefined || (m.content.data as JsonObject).id === id),
    ms,
    `the comm reply to ${JSON.stringify(data)}`,
  );
  return reply.content.data as JsonObject;
}

function req(type: string, extra: JsonObject = {}): JsonObject {
  return { v: PROTOCOL_VERSION, id: `r${++requestCounter}`, type, ...extra };
}

/** Waits for the kernel's step-status event of `stepId` with `status` (iopub, not the reply's socket). */
async function waitForStepEvent(
  client: TestClient,
  stepId: string,
  status: string,
): Promise<JsonObject> {
  const message = await client.waitFor(
    (m) =>
      m.header.msg_type === 'comm_msg' &&
      ((m.content.data as JsonObject).event as JsonObject | undefined)?.stepId === stepId &&
      ((m.content.data as JsonObject).event as JsonObject).status === status,
    10_000,
    `a ${status} event of ${stepId}`,
  );
  return (message.content.data as JsonObject).event as JsonObject;
}

/** The step-status events the kernel pushed for `stepId`, in order. */
function stepEvents(client: TestClient, stepId: string): JsonObject[] {
  return commMessages(client)
    .filter((m) => m.type === 'event')
    .map((m) => m.event as JsonObject)
    .filter((e) => e.type === 'step-status' && e.stepId === stepId);
}

describe('fancyflow kernel over ZeroMQ', () => {
  it('answers kernel_info completely', async () => {
    const reply = await kernel.client.request('shell', 'kernel_info_request');
    expect(reply.header.msg_type).toBe('kernel_info_reply');
    const content = reply.content as JsonObject & { language_info: JsonObject };
    expect(content.status).toBe('ok');
    expect(content.implementation).toBe('fancyflow');
    expect(content.protocol_version).toBe('5.3');
    expect(content.language_info.name).toBe('typescript');
    expect(content.language_info.file_extension).toBe('.ts');
    expect(content.language_info.mimetype).toBe('text/typescript');
  });

  it('echoes heartbeats', async () => {
    const hb = new zmq.Request();
    hb.linger = 0;
    hb.receiveTimeout = 5_000;
    try {
      hb.connect(`tcp://127.0.0.1:${kernel.connection.hb_port}`);
      await hb.send('ping-1');
      const [echo] = await hb.receive();
      expect(echo!.toString()).toBe('ping-1');
    } finally {
      hb.close();
    }
  });

  it('executes: execute_input, execute_result, data values as named FancyCells, counts', async () => {
    const { reply, outputs } = await kernel.client.execute('6 * 7', { cellId: 'answer' });
    expect(reply.content.status).toBe('ok');
    const count = reply.content.execution_count as number;
    const input = ofType(outputs, 'execute_input')[0]!;
    expect(input.content).toMatchObject({ code: '6 * 7', execution_count: count });
    // a number is shown, not listed as a data cell
    expect(resultData(outputs)).toEqual({ 'text/plain': '42' });
    expect(outputs[0]!.content.execution_state).toBe('busy');
    expect(outputs[outputs.length - 1]!.content.execution_state).toBe('idle');

    const table = await kernel.client.execute(
      'const readings = [{ t: 1, v: 2.5 }, { t: 2, v: 3 }];\nreadings',
      { cellId: 'readings-cell' },
    );
    const data = resultData(table.outputs);
    expect(data['text/html']).toContain('jp-fancyflow-CellDisplay');
    expect(data[CELL_MIME_TYPE]).toMatchObject({
      cell: { id: 'readings-cell', name: 'readings', kind: 'json', summary: { shape: [2] } },
    });
    const text = await kernel.client.execute('"a definition cell\'s string"', { cellId: 'str' });
    expect(resultData(text.outputs)[CELL_MIME_TYPE]).toBeUndefined();

    const next = await kernel.client.execute('"again"');
    expect(next.reply.content.execution_count).toBe(count + 3);
    const silent = await kernel.client.execute('1 + 1', { content: { silent: true } });
    expect(silent.reply.content.execution_count).toBe(count + 3);
    expect(ofType(silent.outputs, 'execute_result')).toHaveLength(0);
    expect(ofType(silent.outputs, 'execute_input')).toHaveLength(0);
  });

  it('shows a Vega-Lite spec as a chart: its MIME type and a static SVG, no HTML card', async () => {
    const { outputs } = await kernel.client.execute(
      '({ $schema: "https://vega.github.io/schema/vega-lite/v5.json", mark: "point", data: { values: [{ a: 1, b: 2 }, { a: 2, b: 3 }] }, encoding: { x: { field: "a", type: "quantitative" }, y: { field: "b", type: "quantitative" } } })',
    );
    const data = resultData(outputs);
    expect(data['application/vnd.vegalite.v5+json']).toMatchObject({ mark: 'point' });
    expect(String(data['image/svg+xml'])).toMatch(/^<svg[^>]*>.*<path/s);
    expect(data['text/html']).toBeUndefined();
    // data it would have to fetch is refused, not loaded: the spec still shows, with a note
    const remote = await kernel.client.execute(
      '({ $schema: "https://vega.github.io/schema/vega-lite/v5.json", mark: "point", data: { url: "file:///etc/passwd" } })',
    );
    const remoteData = resultData(remote.outputs);
    expect(remoteData['image/svg+xml']).toBeUndefined();
    const notes = ofType(remote.outputs, 'stream').map((m) => String(m.content.text));
    expect(notes.join('')).toContain('no static picture');
  });

  it('reports type errors and exceptions as error messages, without aborting the next request', async () => {
    const typeError = await kernel.client.execute('const n: number = "text";');
    expect(typeError.reply.content).toMatchObject({ status: 'error', ename: 'TSError' });
    const errors = ofType(typeError.outputs, 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.content.evalue).toContain("Type 'string' is not assignable to type 'number'");
    expect(ofType(typeError.outputs, 'stream')).toHaveLength(0);

    const thrown = await kernel.client.execute('throw new RangeError("out of range")');
    expect(thrown.reply.content).toMatchObject({
      status: 'error',
      ename: 'RangeError',
      evalue: 'out of range',
    });
    expect((thrown.reply.content.traceback as string[])[0]).toContain('RangeError');

    // stock tslab answers `abort` to anything arriving within 200 ms of an error
    const after = await kernel.client.execute('"still here"');
    expect(after.reply.content.status).toBe('ok');
  });

  it('aborts the queued requests of a failed batch only (stop_on_error)', async () => {
    const c = kernel.client;
    const fail = await c.send(
      'shell',
      c.message('execute_request', { code: 'throw new Error("first")', stop_on_error: true }),
    );
    const queued = await c.send('shell', c.message('execute_request', { code: '"queued"' }));
    expect((await c.reply(fail)).content.status).toBe('error');
    expect((await c.reply(queued)).content.status).toBe('aborted');
    const later = await c.execute('"later"');
    expect(later.reply.content.status).toBe('ok');

    const tolerant = await c.send(
      'shell',
      c.message('execute_request', { code: 'throw new Error("x")', stop_on_error: false }),
    );
    const runs = await c.send('shell', c.message('execute_request', { code: '"runs"' }));
    expect((await c.reply(tolerant)).content.status).toBe('error');
    expect((await c.reply(runs)).content.status).toBe('ok');
  });

  it('evaluates user_expressions', async () => {
    const { reply } = await kernel.client.execute('const base = 20;', {
      content: { user_expressions: { sum: 'base + 1', bad: 'nope(' } },
    });
    const expressions = reply.content.user_expressions as Record<string, JsonObject>;
    expect(expressions.sum).toMatchObject({ status: 'ok', data: { 'text/plain': '21' } });
    expect(expressions.bad!.status).toBe('error');
  });

  it('sends output of a timer to the cell that started it', async () => {
    const c = kernel.client;
    const first = await c.execute('setTimeout(() => console.log("late output"), 300); "started"');
    const firstId = first.reply.parent_header.msg_id;
    const second = await c.execute('await new Promise((r) => setTimeout(r, 700)); "second"');
    const late = await c.waitFor(
      (m) => m.header.msg_type === 'stream' && String(m.content.text).includes('late output'),
      5_000,
    );
    expect(late.parent_header.msg_id).toBe(firstId);
    expect(ofType(second.outputs, 'stream')).toHaveLength(0);
  });

  it('answers complete, inspect, is_complete and history', async () => {
    const c = kernel.client;
    const complete = await c.request('shell', 'complete_request', {
      code: 'Math.ma',
      cursor_pos: 7,
    });
    expect(complete.content).toMatchObject({ status: 'ok', cursor_start: 5, cursor_end: 7 });
    expect(complete.content.matches).toContain('max');
    const inspect = await c.request('shell', 'inspect_request', {
      code: 'Math.max',
      cursor_pos: 8,
      detail_level: 0,
    });
    expect(inspect.content.found).toBe(true);
    expect(String((inspect.content.data as JsonObject)['text/plain'])).toContain('max');
    for (const [code, status] of [
      ['if (x) {', 'incomplete'],
      ['1 + 1', 'complete'],
      ['const = ;', 'invalid'],
    ]) {
      const r = await c.request('shell', 'is_complete_request', { code });
      expect(r.content.status, code).toBe(status);
    }
    const tail = await c.request('shell', 'history_request', {
      hist_access_type: 'tail',
      n: 2,
      output: false,
      raw: true,
    });
    const history = tail.content.history as [number, number, string][];
    expect(history).toHaveLength(2);
    expect(history[1]![2]).toContain('second');
    const search = await c.request('shell', 'history_request', {
      hist_access_type: 'search',
      pattern: '6 * 7',
      output: true,
      raw: true,
    });
    expect(search.content.history).toEqual([[1, 1, ['6 * 7', '42']]]);
  });

  it('drops a message with a bad signature and still answers the next good one', async () => {
    const c = kernel.client;
    const forged = c.message('execute_request', { code: 'globalThis.forged = "executed"' });
    await c.send('shell', forged, createSigner('not-the-key'));
    const { outputs } = await c.execute(
      '(globalThis as { forged?: string }).forged ?? "never executed"',
    );
    expect(resultData(outputs)['text/plain']).toBe("'never executed'");
    expect(c.replies.some((m) => m.parent_header.msg_id === forged.header.msg_id)).toBe(false);
    expect(c.iopubMessages.some((m) => m.parent_header.msg_id === forged.header.msg_id)).toBe(
      false,
    );
  });

  it('interrupts a busy loop with SIGINT and a pending promise with interrupt_request', async () => {
    const c = kernel.client;
    const loop = await c.send(
      'shell',
      c.message('execute_request', { code: 'console.log("looping"); while (true) {}' }),
    );
    // the signal must come once the loop runs (during type-checking it would wait for the loop)
    const looping = await c.waitFor(
      (m) => m.header.msg_type === 'stream' && m.parent_header.msg_id === loop,
    );
    expect(looping.content.text).toBe('looping\n');
    process.kill(kernel.child.pid!, 'SIGINT');
    const loopReply = await c.reply(loop, 10_000);
    expect(loopReply.content).toMatchObject({ status: 'error', ename: 'Interrupted' });

    const pending = await c.send(
      'shell',
      c.message('execute_request', { code: 'console.log("waiting"); await new Promise(() => {})' }),
    );
    await c.waitFor((m) => m.header.msg_type === 'stream' && m.parent_header.msg_id === pending);
    const interrupt = await c.request('control', 'interrupt_request');
    expect(interrupt.content.status).toBe('ok');
    expect((await c.reply(pending, 10_000)).content).toMatchObject({
      status: 'error',
      ename: 'Interrupted',
    });

    const again = await c.send(
      'shell',
      c.message('execute_request', { code: 'console.log("waiting"); await new Promise(() => {})' }),
    );
    await c.waitFor((m) => m.header.msg_type === 'stream' && m.parent_header.msg_id === again);
    // The line is printed while V8 still runs the cell's synchronous part, where SIGINT belongs to
    // the synchronous-loop watchdog: signal once the cell awaits.
    await new Promise((r) => setTimeout(r, 300));
    process.kill(kernel.child.pid!, 'SIGINT');
    expect((await c.reply(again, 10_000)).content.ename).toBe('Interrupted');
    expect((await c.execute('"alive"')).reply.content.status).toBe('ok');
  });

  it('speaks the fancyflow comm protocol, malformed messages included', async () => {
    const c = kernel.client;
    const info0 = await c.request('shell', 'comm_info_request', { target_name: 'fancyflow' });
    expect(info0.content).toEqual({ status: 'ok', comms: {} });
    await c.send(
      'shell',
      c.message('comm_open', { comm_id: COMM_ID, target_name: 'fancyflow', data: {} }),
    );
    const info = await c.request('shell', 'comm_info_request', { target_name: 'fancyflow' });
    expect(info.content.comms).toEqual({ [COMM_ID]: { target_name: 'fancyflow' } });

    const hello = await commRequest(c, req('hello'));
    expect(hello).toMatchObject({
      ok: true,
      result: { protocolVersion: PROTOCOL_VERSION, store: 'memory' },
    });
    // cells are stored already: a store the lab asks for now does not replace the memory store
    const keep = await commRequest(c, req('hello', { store: os.tmpdir() }));
    expect(keep).toMatchObject({ ok: true, result: { store: 'memory' } });

    // a step defined in a cell appears in the registry at once, and is pushed
    const define = await c.execute(
      [
        'import { z } from "zod";',
        'import { step, cell, cells } from "fancyflow";',
        'const double = step({ slug: "double", inputs: { x: z.array(z.number()) }, output: z.array(z.number()) }, ({ x }) => x.map((v) => v * 2));',
        'const fussy = step({ slug: "fussy", inputs: { x: z.array(z.number()) }, config: z.object({ max: z.number().default(100) }), output: z.array(z.number()) }, ({ x }, { max }) => { if (x.some((v) => v > max)) throw new Error(`a value is above ${max}`); return x; });',
        'const slow = step({ slug: "slow", inputs: {}, output: z.array(z.number()) }, (_i, _c, { signal }) =>',
        '  new Promise<number[]>((resolve, reject) => { const t = setTimeout(() => resolve([1]), 8000); signal.addEventListener("abort", () => { clearTimeout(t); reject(new Error("stopped")); }); }));',
      ].join('\n'),
      { cellId: 'define' },
    );
    expect(define.reply.content.status).toBe('ok');
    const pushed = commMessages(c).filter((m) => m.type === 'registry-changed');
    expect(pushed.length).toBeGreaterThanOrEqual(1);
    expect((pushed[pushed.length - 1]!.steps as { slug: string }[]).map((s) => s.slug)).toContain(
      'double',
    );
    const steps = await commRequest(c, req('list-steps'));
    expect((steps.result as { steps: { slug: string }[] }).steps.map((s) => s.slug)).toEqual(
      expect.arrayContaining(['double', 'fussy', 'slow']),
    );

    // cells: a data value, then steps wired to it by id and by name
    await c.execute('[21]', { cellId: 'cell-a' });
    const b = await c.execute('double({ x: cell("cell-a") }, {}, { name: "doubled" })', {
      cellId: 'cell-b',
    });
    expect(b.reply.content.status).toBe('ok');
    expect(resultData(b.outputs)['text/plain']).toBe('[ 42 ]');
    expect(resultData(b.outputs)[CELL_MIME_TYPE]).toMatchObject({
      cell: { id: 'cell-b', name: 'doubled', producedBy: { slug: 'double' } },
      step: { status: 'completed', name: 'doubled' },
    });
    const changed = commMessages(c).filter((m) => m.type === 'workflow-changed');
    expect(changed.length).toBeGreaterThanOrEqual(1);
    const cc = await c.execute('double({ x: cell("doubled") })', { cellId: 'cell-c' });
    expect(resultData(cc.outputs)['text/plain']).toBe('[ 84 ]');
    const unknown = await c.execute('cell("nope")');
    expect(unknown.reply.content).toMatchObject({ ename: 'FancyflowError' });
    expect(String(unknown.reply.content.evalue)).toMatch(/MISSING_CELL.*run the cell.*doubled/);

    // re-running a cell replaces its step in place
    const rerun = await c.execute(
      'double({ x: "cell-a" }, {}, { name: "doubled", title: "again" })',
      { cellId: 'cell-b' },
    );
    expect(rerun.reply.content.status).toBe('ok');
    const state = (await commRequest(c, req('get-workflow'))).result as {
      workflow: { steps: { id: string; title?: string }[]; definitions: Record<string, string> };
      statuses: Record<string, { status: string; name: string }>;
      names: Record<string, string>;
      cells: { id: string }[];
      executed: Record<string, number>;
      definitions: Record<string, string>;
    };
    expect(state.workflow.steps.map((s) => s.id)).toEqual(['cell-b', 'cell-c']);
    expect(state.workflow.steps[0]!.title).toBe('again');
    expect(state.workflow.definitions).toEqual({ double: 'define' });
    expect(state.definitions).toMatchObject({ double: 'define', fussy: 'define', slow: 'define' });
    expect(Object.keys(state.executed)).toEqual(
      expect.arrayContaining(['define', 'cell-a', 'cell-b', 'cell-c']),
    );
    // only the title changed: the same code, config and input, so the output comes from the cache
    expect(state.statuses['cell-b']).toMatchObject({ status: 'cached', name: 'doubled' });
    expect(state.names).toMatchObject({ doubled: 'cell-b', readings: 'readings-cell' });
    expect(state.cells.map((x) => x.id)).toEqual(
      expect.arrayContaining(['cell-a', 'cell-b', 'cell-c']),
    );
    const preview = await commRequest(c, req('preview', { cellId: 'cell-c' }));
    expect(preview).toMatchObject({ ok: true, result: { cell: { id: 'cell-c' }, value: [84] } });
    const missing = await commRequest(c, req('preview', { cellId: 'no-such-cell' }));
    expect(missing).toMatchObject({ ok: false, error: { code: 'DATUM_NOT_FOUND' } });

    // a step that fails loses its old output, and a cell wired to it is skipped, not run on it
    const checked = await c.execute('fussy({ x: cell("doubled") }, {}, { name: "checked" })', {
      cellId: 'cell-d',
    });
    expect(checked.reply.content.status).toBe('ok');
    const failing = await c.execute(
      'fussy({ x: cell("doubled") }, { max: 10 }, { name: "checked" })',
      {
        cellId: 'cell-d',
      },
    );
    expect(failing.reply.content).toMatchObject({ status: 'error', ename: 'FancyflowError' });
    expect(String(failing.reply.content.evalue)).toContain('STEP_FAILED: Step "checked" (fussy)');
    expect(stepEvents(c, 'cell-d').at(-1)).toMatchObject({ status: 'failed', name: 'checked' });
    const downstream = await c.execute('double({ x: cell("checked") }, {}, { name: "after" })', {
      cellId: 'cell-e',
    });
    expect(downstream.reply.content.status).toBe('error');
    expect(String(downstream.reply.content.evalue)).toContain(
      'DEPENDENCY_FAILED: Step "after" (double) was skipped: its input "x" comes from step "checked" (fussy), which did not complete',
    );
    expect(stepEvents(c, 'cell-e').at(-1)).toMatchObject({ status: 'skipped' });

    // a batch (a run from the panel): after a failure, the queued step cells are marked skipped
    const batch = [
      c.message(
        'execute_request',
        { code: 'fussy({ x: cell("doubled") }, { max: 10 }, { name: "checked" })' },
        { cellId: 'cell-d' },
      ),
      c.message(
        'execute_request',
        { code: 'double({ x: cell("checked") }, {}, { name: "after" })' },
        { cellId: 'cell-e' },
      ),
      // a step cell this kernel never ran: JupyterLab sends its metadata with the request
      c.message(
        'execute_request',
        { code: 'double({ x: cell("doubled") }, {}, { name: "never" })' },
        {
          cellId: 'cell-f',
          fancyflow: {
            stepId: 'cell-f',
            slug: 'double',
            version: '1.0.0',
            wiring: { x: 'cell-b' },
            config: {},
            name: 'never',
          },
        },
      ),
    ];
    for (const m of batch) await c.send('shell', m);
    expect((await c.reply(batch[0]!.header.msg_id)).content.status).toBe('error');
    expect((await c.reply(batch[1]!.header.msg_id)).content.status).toBe('aborted');
    expect((await c.reply(batch[2]!.header.msg_id)).content.status).toBe('aborted');
    const skippedF = await c.waitFor(
      (m) =>
        m.header.msg_type === 'comm_msg' &&
        ((m.content.data as JsonObject).event as JsonObject | undefined)?.stepId === 'cell-f',
    );
    expect((skippedF.content.data as JsonObject).event).toMatchObject({
      status: 'skipped',
      name: 'never',
      error: {
        code: 'DEPENDENCY_FAILED',
        message: 'Not run: step "checked" (fussy) failed before it',
      },
    });
    expect(await waitForStepEvent(c, 'cell-e', 'skipped')).toMatchObject({ status: 'skipped' });

    // an interrupt cancels the running step; the step cells queued behind it are cancelled
    const slowMsg = c.message(
      'execute_request',
      { code: 'slow({}, {}, { name: "sleepy" })' },
      {
        cellId: 'cell-s',
      },
    );
    const queuedMsg = c.message(
      'execute_request',
      { code: 'double({ x: cell("doubled") }, {}, { name: "queued" })' },
      {
        cellId: 'cell-q',
        fancyflow: {
          stepId: 'cell-q',
          slug: 'double',
          version: '1.0.0',
          wiring: { x: 'cell-b' },
          config: {},
          name: 'queued',
        },
      },
    );
    await c.send('shell', slowMsg);
    await c.send('shell', queuedMsg);
    await c.waitFor(
      (m) =>
        m.header.msg_type === 'comm_msg' &&
        ((m.content.data as JsonObject).event as JsonObject | undefined)?.stepId === 'cell-s' &&
        ((m.content.data as JsonObject).event as JsonObject).status === 'running',
    );
    await c.request('control', 'interrupt_request');
    expect((await c.reply(slowMsg.header.msg_id, 10_000)).content.status).toBe('error');
    expect((await c.reply(queuedMsg.header.msg_id)).content.status).toBe('aborted');
    expect(await waitForStepEvent(c, 'cell-s', 'cancelled')).toMatchObject({
      status: 'cancelled',
      error: { code: 'CANCELLED', message: 'Step "sleepy" (slow) was cancelled' },
    });
    expect(await waitForStepEvent(c, 'cell-q', 'cancelled')).toMatchObject({
      status: 'cancelled',
      error: { message: 'Not run: the run was interrupted at step "sleepy" (slow)' },
    });

    // malformed messages get coded PROTOCOL replies, never a crash
    for (const bad of [
      {},
      { v: PROTOCOL_VERSION },
      { v: PROTOCOL_VERSION, id: 'm1', type: 'nope' },
      { v: 1, id: 'm2', type: 'hello' },
      'text',
      null,
      { v: PROTOCOL_VERSION, id: 'm3', type: 'run', mode: 'all' },
      { v: PROTOCOL_VERSION, id: 'm4', type: 'set-workflow', workflow: {} },
      { v: PROTOCOL_VERSION, id: 'm5', type: 'preview', cellId: 'x', rows: -1 },
    ]) {
      const reply = await commRequest(c, bad);
      expect(reply, JSON.stringify(bad)).toMatchObject({
        type: 'reply',
        ok: false,
        error: { code: 'PROTOCOL' },
      });
    }
    expect((await commRequest(c, req('hello'))).ok).toBe(true);
  });

  it('answers a comm request while a cell awaits a 2 s promise, and stays busy until it ends', async () => {
    const c = kernel.client;
    const cellMsg = await c.send(
      'shell',
      c.message('execute_request', {
        code: 'console.log("sleeping"); await new Promise((r) => setTimeout(r, 2000)); "slept"',
      }),
    );
    await c.waitFor((m) => m.header.msg_type === 'stream' && m.parent_header.msg_id === cellMsg);
    const seen = c.iopubMessages.length;
    const hello = await commRequest(c, req('hello'));
    expect(hello.ok).toBe(true);
    expect(c.replies.some((m) => m.parent_header.msg_id === cellMsg)).toBe(false);
    // no `idle` while the cell still runs: a front end would show an idle kernel
    await new Promise((r) => setTimeout(r, 200));
    const idle = (m: JupyterMessage) =>
      m.header.msg_type === 'status' && m.content.execution_state === 'idle';
    expect(c.iopubMessages.slice(seen).filter(idle)).toHaveLength(0);
    expect((await c.reply(cellMsg)).content.status).toBe('ok');
    const cellIdle = await c.waitFor((m) => idle(m) && m.parent_header.msg_id === cellMsg);
    // the comm request's idle came first, the cell's last
    const after = c.iopubMessages.slice(seen).filter(idle);
    expect(after.at(-1)).toBe(cellIdle);
    expect(after.length).toBeGreaterThanOrEqual(2);
  });

  it('sends a front end that applies patches what changed in the state, whole states to the others', async () => {
    const c = kernel.client;
    const PATCH_COMM = 'patch-comm';
    await c.send(
      'shell',
      c.message('comm_open', { comm_id: PATCH_COMM, target_name: 'fancyflow', data: {} }),
    );
    const onPatchComm = async (data: JsonObject): Promise<JsonObject> => {
      const msgId = await c.send('shell', c.message('comm_msg', { comm_id: PATCH_COMM, data }));
      const reply = await c.waitFor(
        (m) => m.parent_header.msg_id === msgId && m.header.msg_type === 'comm_msg',
        20_000,
        `the reply to ${String(data.type)}`,
      );
      return reply.content.data as JsonObject;
    };
    expect((await onPatchComm(req('hello', { statePatches: true }))).ok).toBe(true);
    const before = (await onPatchComm(req('get-workflow'))).result as WorkflowState;
    const seen = c.iopubMessages.length;
    const run = await c.execute('double({ x: cell("cell-a") }, {}, { name: "patched" })', {
      cellId: 'cell-p',
    });
    expect(run.reply.content.status).toBe('ok');
    const pushes = (comm: string) =>
      c.iopubMessages
        .slice(seen)
        .filter((m) => m.header.msg_type === 'comm_msg' && m.content.comm_id === comm)
        .map((m) => m.content.data as JsonObject)
        .filter((d) => d.type === 'workflow-patch' || d.type === 'workflow-changed');
    // the comm that did not ask still gets the whole state
    expect(pushes(COMM_ID).map((d) => d.type)).toEqual(['workflow-changed']);
    const patches = pushes(PATCH_COMM);
    expect(patches.map((d) => d.type)).toEqual(['workflow-patch']);
    const patch = patches[0]!.patch as StatePatch;
    // what changed, not the cells and statuses of the steps that did not run
    expect(Object.keys((patch.cells as { items: object }).items)).toEqual(['cell-p']);
    expect(JSON.stringify(patch).length).toBeLessThan(JSON.stringify(before).length);
    const after = (await onPatchComm(req('get-workflow'))).result as WorkflowState;
    expect(applyStatePatch(before, patch)).toEqual(after);
    await c.send('shell', c.message('comm_close', { comm_id: PATCH_COMM, data: {} }));
  });

  it('closes comms and restarts with an empty memory store', async () => {
    const c = kernel.client;
    await c.send('shell', c.message('comm_close', { comm_id: COMM_ID, data: {} }));
    const info = await c.request('shell', 'comm_info_request', {});
    expect(info.content.comms).toEqual({});
    expect(resultData((await c.execute('cells.length')).outputs)['text/plain']).not.toBe('0');

    const shutdown = await c.request('control', 'shutdown_request', { restart: true });
    expect(shutdown.content).toEqual({ status: 'ok', restart: true });
    expect(await exitOf(kernel.child)).toBe(0);
    c.close();

    // what a kernel manager does on restart: a new process on the same connection file
    const child = spawnKernel(kernel.file, kernel.dir);
    const client = new TestClient(kernel.connection);
    restarted = { ...kernel, child, client };
    await client.ready();
    // a kernel that holds nothing switches to the store the lab's settings ask for
    await client.send(
      'shell',
      client.message('comm_open', { comm_id: COMM_ID, target_name: 'fancyflow', data: {} }),
    );
    const fresh = await commRequest(client, req('get-workflow'));
    expect(fresh).toMatchObject({ ok: true, result: { cells: [], workflow: { steps: [] } } });
    const storeDir = path.join(kernel.dir, 'store');
    const hello = await commRequest(client, req('hello', { store: storeDir }));
    expect(hello).toMatchObject({ ok: true, result: { store: `disk:${storeDir}` } });
    const { outputs } = await client.execute('import { cells } from "fancyflow"; cells.length');
    expect(resultData(outputs)['text/plain']).toBe('0');

    // a notebook runs in a fresh kernel the way the panel runs it: its cells, in order
    const notebook = JSON.parse(
      readFileSync(path.join(repoRoot, 'examples', 'cars.ipynb'), 'utf8'),
    ) as { cells: { id: string; cell_type: string; source: string | string[] }[] };
    for (const cell of notebook.cells.filter((x) => x.cell_type === 'code')) {
      const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
      const { reply } = await client.execute(source, { cellId: cell.id });
      expect(reply.content.status, source).toBe('ok');
    }
    const preview = await commRequest(client, req('preview', { cellId: 'cars', rows: 3 }));
    expect(preview).toMatchObject({
      ok: true,
      result: { cell: { summary: { shape: [406, 9] } }, truncated: true },
    });
    expect((preview.result as { rows: unknown[] }).rows).toHaveLength(3);
    expect((preview.result as { cell: { uri: string } }).cell.uri).toMatch(/^file:/);
  });
});

describe('a kernel with a disk store (FANCYFLOW_STORE)', () => {
  it('keeps cell values across a restart', async () => {
    const store = mkdtempSync(path.join(os.tmpdir(), 'fancyflow-kernel-store-'));
    diskKernel = await startKernel({ env: { FANCYFLOW_STORE: store } });
    const c = diskKernel.client;
    const stored = await c.execute('[{ city: "Oslo", t: 3.5 }, { city: "Lima", t: 19 }]', {
      cellId: 'weather',
    });
    expect(resultData(stored.outputs)[CELL_MIME_TYPE]).toMatchObject({
      cell: { id: 'weather', kind: 'json' },
    });
    const hello = await c.execute(
      'import { cells } from "fancyflow"; cells.get("weather")?.uri ?? "none"',
    );
    expect(String(resultData(hello.outputs)['text/plain'])).toContain('file://');
    await c.request('control', 'shutdown_request', { restart: true });
    expect(await exitOf(diskKernel.child)).toBe(0);
    c.close();
    const child = spawnKernel(diskKernel.file, diskKernel.dir, { FANCYFLOW_STORE: store });
    const client = new TestClient(diskKernel.connection);
    diskKernel = { ...diskKernel, child, client };
    await client.ready();
    const { outputs } = await client.execute(
      'import { cells } from "fancyflow"; await cells.value("weather")',
    );
    expect(resultData(outputs)['text/plain']).toContain('Oslo');
    stopKernel(diskKernel);
    rmSync(store, { recursive: true, force: true });
  });
});
