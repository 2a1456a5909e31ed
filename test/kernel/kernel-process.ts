/**
 * Test helpers: start the real kernel process (`bin/fancyflow.js kernel`) on free loopback ports,
 * and a small Jupyter client over ZeroMQ that signs its messages and collects replies and iopub
 * messages by parent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as zmq from 'zeromq';
import {
  createSigner,
  decodeMessage,
  encodeMessage,
  type JsonObject,
  type JupyterMessage,
  type Signer,
} from '../../src/kernel/wire';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const binPath = path.join(repoRoot, 'bin', 'fancyflow.js');

/** Free TCP ports on 127.0.0.1. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** A connection file's content. */
export interface Connection {
  ip: string;
  transport: 'tcp';
  key: string;
  signature_scheme: 'hmac-sha256';
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
}

/** A temporary notebook folder whose node_modules is this repository's (so `zod` resolves). */
export function notebookDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fancyflow-kernel-'));
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Writes a connection file with free ports in `dir` (`overrides` replace fields, e.g. `key`). */
export async function writeConnectionFile(
  dir: string,
  overrides: Partial<Connection> = {},
): Promise<{ file: string; connection: Connection }> {
  const [shell, iopub, stdin, control, hb] = await freePorts(5);
  const connection: Connection = {
    ip: '127.0.0.1',
    transport: 'tcp',
    key: randomBytes(16).toString('hex'),
    signature_scheme: 'hmac-sha256',
    shell_port: shell!,
    iopub_port: iopub!,
    stdin_port: stdin!,
    control_port: control!,
    hb_port: hb!,
    ...overrides,
  };
  const file = path.join(dir, `kernel-${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify(connection));
  return { file, connection };
}

const stderrTexts = new WeakMap<ChildProcess, string[]>();

/** What a kernel started by {@link spawnKernel} wrote to its stderr so far (its log). */
export function stderrOf(child: ChildProcess): string {
  return (stderrTexts.get(child) ?? []).join('');
}

/**
 * Starts `fancyflow kernel` with `file` in `cwd`; `detached` puts it in a process group of its own
 * (as Jupyter does), so that the group can be signalled.
 */
export function spawnKernel(
  file: string,
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  detached = false,
): ChildProcess {
  const child = spawn(process.execPath, [binPath, 'kernel', '--connection-file', file], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  });
  const stderr: string[] = [];
  stderrTexts.set(child, stderr);
  child.stdout?.on('data', () => {});
  child.stderr?.on('data', (chunk: Buffer) => {
    // Bounded: a test about huge messages must not keep them twice.
    if (stderr.length < 1000) stderr.push(chunk.toString('utf8').slice(0, 10_000));
    if (process.env.FANCYFLOW_TEST_VERBOSE) process.stderr.write(chunk);
  });
  child.on('exit', (code, signal) => {
    if (process.env.FANCYFLOW_TEST_VERBOSE)
      process.stderr.write(`kernel exited ${code} ${signal}\n`);
  });
  return child;
}

/** Resolves when `child` exits (with its code), or rejects after `ms`. */
export function exitOf(child: ChildProcess, ms = 10_000): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the kernel did not exit')), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

type Waiter = { match: (m: JupyterMessage) => boolean; resolve: (m: JupyterMessage) => void };

/** A Jupyter client of one kernel. */
export class TestClient {
  readonly session = randomUUID();
  private readonly shell = new zmq.Dealer({ routingId: `shell-${randomUUID()}` });
  private readonly control = new zmq.Dealer({ routingId: `control-${randomUUID()}` });
  private readonly iopub = new zmq.Subscriber();
  readonly signer: Signer;
  /** Every iopub message received, in order. */
  readonly iopubMessages: JupyterMessage[] = [];
  /** Every shell/control reply received. */
  readonly replies: JupyterMessage[] = [];
  private waiters: Waiter[] = [];
  private closed = false;

  constructor(readonly connection: Connection) {
    this.signer = createSigner(connection.key, connection.signature_scheme);
    const at = (port: number) => `tcp://${connection.ip}:${port}`;
    for (const s of [this.shell, this.control, this.iopub]) s.linger = 0;
    this.shell.connect(at(connection.shell_port));
    this.control.connect(at(connection.control_port));
    this.iopub.connect(at(connection.iopub_port));
    this.iopub.subscribe();
    void this.loop(this.shell, this.replies);
    void this.loop(this.control, this.replies);
    void this.loop(this.iopub, this.iopubMessages);
  }

  private async loop(socket: zmq.Dealer | zmq.Subscriber, into: JupyterMessage[]): Promise<void> {
    try {
      for await (const frames of socket) {
        const decoded = decodeMessage(frames, this.signer);
        if (!decoded.ok) throw new Error(`the kernel sent a bad message: ${decoded.reason}`);
        into.push(decoded.message);
        this.waiters = this.waiters.filter((w) => {
          if (!w.match(decoded.message)) return true;
          w.resolve(decoded.message);
          return false;
        });
      }
    } catch (e) {
      if (!this.closed) throw e;
    }
  }

  /** Waits for a message (already received or not) that `match`es. */
  waitFor(
    match: (m: JupyterMessage) => boolean,
    ms = 20_000,
    what = 'a message',
  ): Promise<JupyterMessage> {
    const found = [...this.replies, ...this.iopubMessages].find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** Builds a request message. */
  message(msgType: string, content: JsonObject, metadata: JsonObject = {}): JupyterMessage {
    return {
      identities: [],
      header: {
        msg_id: randomUUID(),
        msg_type: msgType,
        session: this.session,
        username: 'test',
        date: new Date().toISOString(),
        version: '5.3',
      },
      parent_header: {},
      metadata,
      content,
      buffers: [],
    };
  }

  /** Sends a request; returns its msg_id. */
  async send(
    channel: 'shell' | 'control',
    message: JupyterMessage,
    signer: Signer = this.signer,
  ): Promise<string> {
    await (channel === 'shell' ? this.shell : this.control).send(encodeMessage(message, signer));
    return message.header.msg_id;
  }

  /**
   * Sends `message` with its header and/or content frame replaced by raw text (JSON too deep for
   * JSON.stringify, or not JSON at all), signed with `signer`; returns its msg_id.
   */
  async sendRaw(
    channel: 'shell' | 'control',
    message: JupyterMessage,
    raw: { header?: string; content?: string },
    signer: Signer = this.signer,
  ): Promise<string> {
    const frames = encodeMessage({ ...message, content: {} }, signer);
    const at = frames.findIndex((f) => Buffer.isBuffer(f) && f.toString() === '<IDS|MSG>');
    if (raw.header !== undefined) frames[at + 2] = raw.header;
    if (raw.content !== undefined) frames[at + 5] = raw.content;
    frames[at + 1] = signer.sign(frames.slice(at + 2, at + 6));
    await (channel === 'shell' ? this.shell : this.control).send(frames);
    return message.header.msg_id;
  }

  /** Sends a request and waits for its reply. */
  async request(
    channel: 'shell' | 'control',
    msgType: string,
    content: JsonObject = {},
    metadata: JsonObject = {},
    ms = 20_000,
  ): Promise<JupyterMessage> {
    const id = await this.send(channel, this.message(msgType, content, metadata));
    return this.reply(id, ms);
  }

  /** The reply to request `msgId`. */
  reply(msgId: string, ms = 20_000): Promise<JupyterMessage> {
    return this.waitFor(
      (m) => this.replies.includes(m) && m.parent_header.msg_id === msgId,
      ms,
      `the reply to ${msgId}`,
    );
  }

  /** The iopub messages caused by request `msgId`, up to its `idle` status (waited for). */
  async outputs(msgId: string, ms = 20_000): Promise<JupyterMessage[]> {
    await this.waitFor(
      (m) =>
        this.iopubMessages.includes(m) &&
        m.parent_header.msg_id === msgId &&
        m.header.msg_type === 'status' &&
        m.content.execution_state === 'idle',
      ms,
      `idle after ${msgId}`,
    );
    return this.iopubMessages.filter((m) => m.parent_header.msg_id === msgId);
  }

  /** An execute request of `code` (with a cell id; `content` overrides the defaults). */
  executeMessage(
    code: string,
    options: { cellId?: string; content?: JsonObject } = {},
  ): JupyterMessage {
    const metadata: JsonObject = options.cellId === undefined ? {} : { cellId: options.cellId };
    return this.message(
      'execute_request',
      {
        code,
        silent: false,
        store_history: true,
        user_expressions: {},
        allow_stdin: false,
        stop_on_error: true,
        ...options.content,
      },
      metadata,
    );
  }

  /** Executes `code` (with a cell id) and returns the reply and the iopub messages. */
  async execute(
    code: string,
    options: { cellId?: string; content?: JsonObject; ms?: number } = {},
  ): Promise<{ reply: JupyterMessage; outputs: JupyterMessage[] }> {
    const id = await this.send('shell', this.executeMessage(code, options));
    const reply = await this.reply(id, options.ms);
    const outputs = await this.outputs(id, options.ms);
    return { reply, outputs };
  }

  /** Waits until the kernel answers kernel_info (it is up). */
  async ready(ms = 30_000): Promise<JupyterMessage> {
    const deadline = Date.now() + ms;
    for (;;) {
      const message = this.message('kernel_info_request', {});
      await this.send('shell', message);
      try {
        const reply = await this.reply(message.header.msg_id, 1_000);
        // iopub joins late (ZeroMQ's slow joiner): ready once this request's idle came through.
        await this.outputs(message.header.msg_id, 1_000);
        return reply;
      } catch (e) {
        if (Date.now() > deadline) throw e;
      }
    }
  }

  close(): void {
    this.closed = true;
    this.shell.close();
    this.control.close();
    this.iopub.close();
  }
}

/** A started kernel with its client. */
export interface StartedKernel {
  child: ChildProcess;
  client: TestClient;
  file: string;
  connection: Connection;
  dir: string;
}

/** Starts a kernel in a fresh notebook folder and waits until it answers. */
export async function startKernel(
  options: {
    dir?: string;
    env?: NodeJS.ProcessEnv;
    connection?: Partial<Connection>;
    detached?: boolean;
  } = {},
): Promise<StartedKernel> {
  const dir = options.dir ?? notebookDir();
  const { file, connection } = await writeConnectionFile(dir, options.connection);
  const child = spawnKernel(file, dir, options.env, options.detached);
  const client = new TestClient(connection);
  await client.ready();
  return { child, client, file, connection, dir };
}

/** Stops a kernel by pid (SIGKILL), closes its client and removes its notebook folder. */
export function stopKernel(kernel: StartedKernel | undefined): void {
  if (!kernel) return;
  kernel.client.close();
  if (kernel.child.exitCode === null && kernel.child.pid !== undefined) {
    try {
      process.kill(kernel.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // the node_modules symlink is removed, never followed
  rmSync(kernel.dir, { recursive: true, force: true });
}
