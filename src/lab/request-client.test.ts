import { afterEach, describe, expect, it, vi } from 'vitest';
import { isFancyflowError } from '../core/errors';
import { PROTOCOL_VERSION, RequestSchema, type Push, type Request } from '../protocol/messages';
import { RequestClient } from './request-client';

afterEach(() => {
  vi.useRealTimers();
});

function setup(timeoutMs = 1000) {
  const sent: Request[] = [];
  const pushes: Push[] = [];
  const client = new RequestClient(
    (m) => sent.push(m),
    (p) => pushes.push(p),
    timeoutMs,
  );
  return { client, sent, pushes };
}

describe('RequestClient', () => {
  it('sends requests the kernel accepts and matches replies by id, in any order', async () => {
    const { client, sent } = setup();
    const a = client.request({ type: 'list-steps' });
    const b = client.request({ type: 'hello', store: 'memory' });
    expect(sent.map((m) => RequestSchema.safeParse(m).success)).toEqual([true, true]);
    expect(new Set(sent.map((m) => m.id)).size).toBe(2);
    client.receive({
      v: PROTOCOL_VERSION,
      type: 'reply',
      id: sent[1]!.id,
      ok: true,
      result: { protocolVersion: 1, kernelVersion: '0.1.0', store: 'memory' },
    });
    client.receive({
      v: PROTOCOL_VERSION,
      type: 'reply',
      id: sent[0]!.id,
      ok: true,
      result: { steps: [] },
    });
    expect(await b).toMatchObject({ store: 'memory' });
    expect(await a).toEqual({ steps: [] });
    expect(client.pendingCount).toBe(0);
  });

  it('turns a refused request into the coded error the kernel sent', async () => {
    const { client, sent } = setup();
    const p = client.request({ type: 'preview', cellId: 'nope' });
    client.receive({
      v: PROTOCOL_VERSION,
      type: 'reply',
      id: sent[0]!.id,
      ok: false,
      error: {
        name: 'FancyflowError',
        code: 'DATUM_NOT_FOUND',
        message: 'The store holds no datum for cell "nope"',
        details: { cellId: 'nope' },
      },
    });
    const error = await p.catch((e: unknown) => e);
    expect(isFancyflowError(error, 'DATUM_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toContain('nope');
  });

  it('passes pushes on and ignores malformed messages and unknown ids', () => {
    const { client, pushes } = setup();
    expect(client.receive({ v: PROTOCOL_VERSION, type: 'registry-changed', steps: [] })).toBe(true);
    expect(
      client.receive({
        v: PROTOCOL_VERSION,
        type: 'event',
        event: { type: 'run-started', runId: 'r', stepIds: [], at: 1 },
      }),
    ).toBe(true);
    expect(pushes.map((p) => p.type)).toEqual(['registry-changed', 'event']);
    expect(client.receive({ hello: 'world' })).toBe(false);
    expect(
      client.receive({ v: PROTOCOL_VERSION, type: 'reply', id: 'nobody', ok: true, result: {} }),
    ).toBe(false);
  });

  it('fails a request that gets no reply in time, and every pending one when closed', async () => {
    vi.useFakeTimers();
    const { client } = setup(500);
    const late = client.request({ type: 'get-workflow' });
    const forever = client.request({ type: 'list-steps' }, { timeoutMs: 0 });
    vi.advanceTimersByTime(600);
    const error = await late.catch((e: unknown) => e);
    expect(isFancyflowError(error, 'KERNEL_UNAVAILABLE')).toBe(true);
    expect(client.pendingCount).toBe(1);
    client.close('the kernel is restarting');
    const closed = await forever.catch((e: unknown) => e);
    expect(isFancyflowError(closed, 'KERNEL_UNAVAILABLE')).toBe(true);
    expect((closed as Error).message).toContain('restarting');
    await expect(client.request({ type: 'hello' })).rejects.toMatchObject({
      code: 'KERNEL_UNAVAILABLE',
    });
  });
});
