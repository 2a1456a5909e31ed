import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMessage, createSigner, decodeMessage, encodeMessage } from './wire';

const toBuffers = (frames: (Buffer | string)[]) =>
  frames.map((f) => (typeof f === 'string' ? Buffer.from(f) : f));

describe('wire protocol', () => {
  const signer = createSigner('secret');
  const message = createMessage('execute_request', { code: '1 + 1' }, undefined, 'session-1', {
    identities: [Buffer.from('client')],
  });

  it('round-trips a signed message with its routing identities', () => {
    const decoded = decodeMessage(toBuffers(encodeMessage(message, signer)), signer);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.message.identities.map(String)).toEqual(['client']);
    expect(decoded.message.header.msg_type).toBe('execute_request');
    expect(decoded.message.content).toEqual({ code: '1 + 1' });
  });

  it('refuses a wrong key and a tampered body before parsing', () => {
    const frames = toBuffers(encodeMessage(message, signer));
    expect(decodeMessage(frames, createSigner('other'))).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
    const tampered = [...frames];
    tampered[tampered.length - 1] = Buffer.from(JSON.stringify({ code: 'process.exit()' }));
    expect(decodeMessage(tampered, signer)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses frames without a delimiter or with too few parts', () => {
    expect(decodeMessage([Buffer.from('x')], signer)).toMatchObject({
      ok: false,
      reason: 'no-delimiter',
    });
    expect(decodeMessage([Buffer.from('<IDS|MSG>'), Buffer.from('sig')], signer)).toMatchObject({
      ok: false,
      reason: 'too-few-frames',
    });
  });

  it('signs HMAC-SHA256 over the four JSON frames (the Jupyter scheme)', () => {
    const frames = encodeMessage(message, signer).map(String);
    const at = frames.indexOf('<IDS|MSG>');
    const hmac = createHmac('sha256', 'secret');
    for (const f of frames.slice(at + 2, at + 6)) hmac.update(f);
    expect(frames[at + 1]).toBe(hmac.digest('hex'));
  });
});
