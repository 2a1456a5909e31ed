/**
 * A starting kernel over its real wire protocol: the kernel listens before its engine (tslab's
 * type checker) has loaded, so requests that a client sends at once, before the kernel is up,
 * must all be answered, executions in order and with the engine they waited for.
 */
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import type { JsonObject, JupyterMessage } from '../../src/kernel/wire';
import { PROTOCOL_VERSION } from '../../src/protocol/messages';
import {
  exitOf,
  notebookDir,
  repoRoot,
  spawnKernel,
  TestClient,
  writeConnectionFile,
} from './kernel-process';

const started: { child: ChildProcess; client: TestClient; dir: string }[] = [];

afterEach(() => {
  for (const { child, client, dir } of started.splice(0)) {
    client.close();
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A kernel process whose client connected (and may send) before the kernel bound its sockets. */
async function spawnWithClient(): Promise<{ child: ChildProcess; client: TestClient }> {
  const dir = notebookDir();
  const { file, connection } = await writeConnectionFile(dir);
  const client = new TestClient(connection);
  const child = spawnKernel(file, dir);
  started.push({ child, client, dir });
  return { child, client };
}

/** Opens a fancyflow comm; returns a function that sends a request on it and awaits the reply. */
async function fancyflowComm(client: TestClient): Promise<(type: string) => Promise<JsonObject>> {
  const commId = `start-${client.session}`;
  await client.send(
    'shell',
    client.message('comm_open', { comm_id: commId, target_name: 'fancyflow', data: {} }),
  );
  let counter = 0;
  return async (type) => {
    const id = `s${++counter}`;
    const data = { v: PROTOCOL_VERSION, id, type };
    await client.send('shell', client.message('comm_msg', { comm_id: commId, data }));
    const reply = await client.waitFor(
      (m: JupyterMessage) =>
        m.header.msg_type === 'comm_msg' &&
        (m.content.data as JsonObject).type === 'reply' &&
        (m.content.data as JsonObject).id === id,
      60_000,
      `the reply to ${type}`,
    );
    return reply.content.data as JsonObject;
  };
}

const typescriptVersion = (
  createRequire(`${repoRoot}/package.json`)('@tslab/typescript-for-tslab/package.json') as {
    version: string;
  }
).version;

describe('a starting kernel', () => {
  it('answers requests sent before it is up: kernel_info, then executions in order, completions', async () => {
    const { client } = await spawnWithClient();
    const info = client.message('kernel_info_request', {});
    const first = client.executeMessage('const startedAt = Date.now(); startedAt');
    const second = client.executeMessage('startedAt > 0 ? "after the first" : "lost"');
    const complete = client.message('complete_request', { code: 'Math.ma', cursor_pos: 7 });
    const isComplete = client.message('is_complete_request', { code: 'if (x) {' });
    const history = client.message('history_request', {
      output: false,
      raw: true,
      hist_access_type: 'tail',
      n: 10,
    });
    // ZeroMQ holds them until the kernel binds, then delivers them in this order
    for (const m of [info, first, second, complete, isComplete, history]) {
      await client.send('shell', m);
    }

    const infoReply = await client.reply(info.header.msg_id, 60_000);
    expect(infoReply.content.status).toBe('ok');
    expect(infoReply.content.implementation).toBe('fancyflow');
    const languageInfo = infoReply.content.language_info as JsonObject;
    expect(languageInfo.version).toBe(typescriptVersion);
    expect(String(infoReply.content.banner)).toContain(`TypeScript ${typescriptVersion}`);

    const firstReply = await client.reply(first.header.msg_id, 60_000);
    const secondReply = await client.reply(second.header.msg_id, 60_000);
    expect(firstReply.content).toMatchObject({ status: 'ok', execution_count: 1 });
    expect(secondReply.content).toMatchObject({ status: 'ok', execution_count: 2 });
    // replies in the order of the requests (the second ran with the first's declarations)
    expect(client.replies.indexOf(firstReply)).toBeLessThan(client.replies.indexOf(secondReply));
    expect(client.replies.indexOf(infoReply)).toBeLessThan(client.replies.indexOf(firstReply));
    const secondOutputs = await client.outputs(second.header.msg_id);
    expect(secondOutputs.map((m) => m.header.msg_type)).toEqual([
      'status',
      'execute_input',
      'execute_result',
      'status',
    ]);
    const data = secondOutputs[2]!.content.data as Record<string, unknown>;
    expect(data['text/plain']).toBe("'after the first'");

    const completeReply = await client.reply(complete.header.msg_id, 60_000);
    expect(completeReply.content.status).toBe('ok');
    expect(completeReply.content.matches).toContain('max');
    const isCompleteReply = await client.reply(isComplete.header.msg_id, 60_000);
    expect(isCompleteReply.content.status).toBe('incomplete');
    const historyReply = await client.reply(history.header.msg_id, 60_000);
    expect(historyReply.content.status).toBe('ok');
  });

  it("sends tslab's display to the cell (its hook installs with the engine)", async () => {
    const { client } = await spawnWithClient();
    await client.ready(60_000);
    const { reply, outputs } = await client.execute(
      'import * as tslab from "tslab"; tslab.display.html("<b>shown</b>")',
      { ms: 60_000 },
    );
    expect(reply.content.status).toBe('ok');
    const displays = outputs.filter((m) => m.header.msg_type === 'display_data');
    expect(displays).toHaveLength(1);
    expect((displays[0]!.content.data as Record<string, unknown>)['text/html']).toBe(
      '<b>shown</b>',
    );
  });

  it('lists the standard steps to a front end before any cell ran (their library loads when asked)', async () => {
    const { client } = await spawnWithClient();
    await client.ready(60_000);
    const comm = await fancyflowComm(client);
    const listed = await comm('list-steps');
    const slugs = (listed.result as { steps: { slug: string }[] }).steps.map((s) => s.slug);
    expect(slugs).toEqual(expect.arrayContaining(['read_csv', 'drop_nulls', 'chart']));
  });

  it('does not count the standard steps as defined by the first cell that imports fancyflow', async () => {
    const { client } = await spawnWithClient();
    await client.ready(60_000);
    const define = await client.execute(
      [
        'import { z } from "zod";',
        'import { step, steps } from "fancyflow";',
        'step({ slug: "halve", inputs: { x: z.number() }, output: z.number() }, ({ x }) => x / 2);',
        'Object.keys(steps).includes("read_csv")',
      ].join('\n'),
      { cellId: 'define', ms: 60_000 },
    );
    expect(define.reply.content.status).toBe('ok');
    const result = define.outputs.find((m) => m.header.msg_type === 'execute_result');
    expect((result?.content.data as Record<string, unknown>)['text/plain']).toBe('true');
    const comm = await fancyflowComm(client);
    const state = (await comm('get-workflow')).result as { definitions: Record<string, string> };
    expect(state.definitions).toEqual({ halve: 'define' });
    const listed = (await comm('list-steps')).result as { steps: { slug: string }[] };
    expect(listed.steps.map((s) => s.slug)).toEqual(expect.arrayContaining(['halve', 'read_csv']));
  });

  it('shuts down when asked right after its first kernel_info, while its engine may still load', async () => {
    const { child, client } = await spawnWithClient();
    await client.ready(60_000);
    const reply = await client.request('control', 'shutdown_request', { restart: false });
    expect(reply.content).toMatchObject({ status: 'ok', restart: false });
    expect(await exitOf(child, 30_000)).toBe(0);
  });
});
