/**
 * The Jupyter wire protocol: message frames, HMAC signing and verification.
 *
 * A message on the wire is `[...identities, '<IDS|MSG>', signature, header, parent_header,
 * metadata, content, ...buffers]`; the signature is the HMAC of the four JSON frames.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { FancyflowError } from '../core/errors';
import { findJsonViolation } from '../core/json-limits';

/** The protocol version this kernel speaks. */
export const PROTOCOL_VERSION = '5.3';

/**
 * The largest header frame accepted. A request's header comes back as the `parent_header` of its
 * reply and of every iopub message it causes, so it must stay small (real ones are ~250 bytes).
 */
export const MAX_HEADER_BYTES = 16 * 1024;

/** The deepest nesting a header may have (real ones are flat; JSON.stringify recurses). */
const MAX_HEADER_DEPTH = 4;

const DELIMITER = Buffer.from('<IDS|MSG>');

/** A message header. */
export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
  [key: string]: unknown;
}

/** A JSON object as found in headers, metadata and content. */
export type JsonObject = Record<string, unknown>;

/** A decoded message. */
export interface JupyterMessage<C extends JsonObject = JsonObject> {
  /** The ZeroMQ routing prefix (ROUTER sockets): replies go back through it. */
  identities: Buffer[];
  header: MessageHeader;
  /** The header of the request this message answers, or `{}`. */
  parent_header: MessageHeader | Record<string, never>;
  metadata: JsonObject;
  content: C;
  buffers: Buffer[];
}

/** Signs and verifies message frames with the connection file's key. */
export interface Signer {
  sign(frames: readonly (Buffer | string)[]): string;
  /** True when `signature` is the frames' signature (constant time). Always true without a key. */
  verify(signature: string, frames: readonly Buffer[]): boolean;
}

/** The signer for `scheme` (`hmac-sha256`, …); an empty key disables signing, as the protocol says. */
export function createSigner(key: string, scheme = 'hmac-sha256'): Signer {
  if (key === '') return { sign: () => '', verify: () => true };
  const match = /^hmac-(.+)$/.exec(scheme);
  if (!match) {
    throw new FancyflowError('PROTOCOL', `Unsupported signature scheme "${scheme}"`, {
      details: { scheme },
    });
  }
  const algorithm = match[1]!;
  const sign = (frames: readonly (Buffer | string)[]): string => {
    const hmac = createHmac(algorithm, key);
    for (const frame of frames) hmac.update(frame);
    return hmac.digest('hex');
  };
  return {
    sign,
    verify(signature, frames) {
      const expected = Buffer.from(sign(frames), 'utf8');
      const actual = Buffer.from(signature, 'utf8');
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
  };
}

/** Why a frame list could not be decoded. */
export type DecodeFailure =
  'no-delimiter' | 'too-few-frames' | 'bad-signature' | 'bad-json' | 'bad-header';

/** The result of {@link decodeMessage}. */
export type DecodeResult =
  { ok: true; message: JupyterMessage } | { ok: false; reason: DecodeFailure; detail: string };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Decodes received frames, verifying the signature before parsing anything: a message with a bad
 * signature is never parsed, let alone executed.
 */
export function decodeMessage(frames: readonly Buffer[], signer: Signer): DecodeResult {
  const at = frames.findIndex((f) => f.equals(DELIMITER));
  if (at < 0) return { ok: false, reason: 'no-delimiter', detail: 'no <IDS|MSG> delimiter' };
  if (frames.length < at + 6) {
    return { ok: false, reason: 'too-few-frames', detail: `${frames.length} frames` };
  }
  const signature = frames[at + 1]!.toString('utf8');
  const body = frames.slice(at + 2, at + 6);
  if (!signer.verify(signature, body)) {
    return { ok: false, reason: 'bad-signature', detail: `signature ${signature.slice(0, 16)}…` };
  }
  if (body[0]!.length > MAX_HEADER_BYTES) {
    return { ok: false, reason: 'bad-header', detail: `a header of ${body[0]!.length} bytes` };
  }
  let parsed: unknown[];
  try {
    parsed = body.map((f) => JSON.parse(f.toString('utf8')) as unknown);
  } catch (e) {
    return { ok: false, reason: 'bad-json', detail: e instanceof Error ? e.message : String(e) };
  }
  const [header, parent, metadata, content] = parsed;
  if (
    !isObject(header) ||
    typeof header.msg_type !== 'string' ||
    typeof header.msg_id !== 'string'
  ) {
    return { ok: false, reason: 'bad-json', detail: 'the header has no msg_type/msg_id' };
  }
  if (findJsonViolation(header, MAX_HEADER_DEPTH)) {
    return { ok: false, reason: 'bad-header', detail: 'a nested header or a prototype key in it' };
  }
  return {
    ok: true,
    message: {
      identities: frames.slice(0, at),
      header: header as MessageHeader,
      parent_header: (isObject(parent) ? parent : {}) as MessageHeader,
      metadata: isObject(metadata) ? metadata : {},
      content: isObject(content) ? content : {},
      buffers: frames.slice(at + 6),
    },
  };
}

/** Encodes a message into signed frames. */
export function encodeMessage(message: JupyterMessage, signer: Signer): (Buffer | string)[] {
  const body = [
    JSON.stringify(message.header),
    JSON.stringify(message.parent_header),
    JSON.stringify(message.metadata),
    JSON.stringify(message.content),
  ];
  return [...message.identities, DELIMITER, signer.sign(body), ...body, ...message.buffers];
}

/** A new header of `msgType` in `session`. */
export function createHeader(msgType: string, session: string, username = 'kernel'): MessageHeader {
  return {
    msg_id: randomUUID(),
    msg_type: msgType,
    session,
    username,
    date: new Date().toISOString(),
    version: PROTOCOL_VERSION,
  };
}

/** A message answering (or caused by) `parent`. */
export function createMessage<C extends JsonObject>(
  msgType: string,
  content: C,
  parent: JupyterMessage | undefined,
  session: string,
  options: { identities?: Buffer[]; metadata?: JsonObject; buffers?: Buffer[] } = {},
): JupyterMessage<C> {
  return {
    identities: options.identities ?? [],
    header: createHeader(msgType, session, parent?.header.username ?? 'kernel'),
    parent_header: parent ? parent.header : {},
    metadata: options.metadata ?? {},
    content,
    buffers: options.buffers ?? [],
  };
}
