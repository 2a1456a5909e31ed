/**
 * The connection file Jupyter writes for a kernel: where to bind the five sockets and the key that
 * signs every message.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FancyflowError, serializeIssues, type JsonValue } from '../core/errors';

const port = z.number().int().min(0).max(65535);

/** The connection file's fields this kernel uses (others are ignored). */
export const ConnectionInfoSchema = z.object({
  transport: z.enum(['tcp', 'ipc']).default('tcp'),
  ip: z.string().min(1).default('127.0.0.1'),
  shell_port: port,
  iopub_port: port,
  stdin_port: port,
  control_port: port,
  hb_port: port,
  /** The HMAC key; empty disables signing (allowed by the protocol, never written by Jupyter). */
  key: z.string().default(''),
  signature_scheme: z.string().default('hmac-sha256'),
  kernel_name: z.string().optional(),
});

/** A parsed connection file. */
export type ConnectionInfo = z.output<typeof ConnectionInfoSchema>;

/** Reads and checks a connection file; throws `FILE_READ` or `INVALID_DOCUMENT`. */
export function readConnectionFile(path: string): ConnectionInfo {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new FancyflowError('FILE_READ', `Cannot read the connection file ${path}`, {
      details: { path },
      cause: e,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new FancyflowError('INVALID_JSON', `The connection file ${path} is not JSON`, {
      details: { path },
      cause: e,
    });
  }
  const parsed = ConnectionInfoSchema.safeParse(value);
  if (!parsed.success) {
    throw new FancyflowError('INVALID_DOCUMENT', `The connection file ${path} is not valid`, {
      details: { path, issues: serializeIssues(parsed.error.issues) as unknown as JsonValue },
    });
  }
  return parsed.data;
}

/** The address a socket binds to, e.g. `tcp://127.0.0.1:5555`. */
export function socketAddress(info: ConnectionInfo, portNumber: number): string {
  return info.transport === 'ipc'
    ? `ipc://${info.ip}-${portNumber}`
    : `tcp://${info.ip}:${portNumber}`;
}
