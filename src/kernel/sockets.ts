/**
 * The kernel's five ZeroMQ sockets and their receive loops. Receiving never waits for a handler:
 * each message is handed over as soon as it arrives, so a comm request is answered while a cell is
 * still awaiting. The heartbeat echoes on a thread of its own (`heartbeat.ts`), so it answers
 * while a cell computes.
 */
import * as zmq from 'zeromq';
import { socketAddress, type ConnectionInfo } from './connection';
import { Heartbeat, heartbeatEndpoint } from './heartbeat';
import { kernelLog } from './kernel-log';
import { decodeMessage, encodeMessage, type JupyterMessage, type Signer } from './wire';

/** The channels requests arrive on. */
export type RequestChannel = 'shell' | 'control';

/** Receives a decoded, verified request. */
export type RequestHandler = (channel: RequestChannel, message: JupyterMessage) => void;

/**
 * Sends on one socket. The sockets have `sendTimeout = 0`, so zeromq takes each message
 * synchronously (or fails at once): messages go out in call order, even when a cell blocks the
 * thread right after, and there is never a pending send to wait for.
 */
class SendQueue {
  constructor(
    private readonly socket: zmq.Socket & { send(frames: (Buffer | string)[]): Promise<void> },
  ) {}

  push(frames: (Buffer | string)[]): Promise<void> {
    try {
      return this.socket.send(frames).catch((e: unknown) => kernelLog(`send failed: ${String(e)}`));
    } catch (e) {
      kernelLog(`send failed: ${String(e)}`);
      return Promise.resolve();
    }
  }
}

/** The bound sockets of a kernel. */
export class KernelSockets {
  private readonly shell = new zmq.Router();
  private readonly control = new zmq.Router();
  private readonly stdin = new zmq.Router();
  private readonly iopub = new zmq.Publisher();
  private heartbeat?: Heartbeat;
  private readonly queues: Record<RequestChannel | 'iopub' | 'stdin', SendQueue>;
  private closed = false;

  private constructor(
    private readonly info: ConnectionInfo,
    private readonly signer: Signer,
  ) {
    for (const socket of [this.shell, this.control, this.stdin, this.iopub]) {
      socket.linger = 1000;
      // Hand every message to zeromq's I/O thread at once (never "later"): a cell that runs
      // synchronously right after must not hold back its busy status and execute_input.
      // Neither PUB nor (non-mandatory) ROUTER sockets block, so a send never has to wait.
      socket.sendTimeout = 0;
    }
    this.queues = {
      shell: new SendQueue(this.shell),
      control: new SendQueue(this.control),
      stdin: new SendQueue(this.stdin),
      iopub: new SendQueue(this.iopub),
    };
  }

  /**
   * Binds every socket of the connection file and starts the heartbeat thread. Requests that
   * arrive before {@link listen} wait in ZeroMQ's queues: a kernel binds while its engine warms
   * up (the binds, the clients' connections and the heartbeat thread's start happen off the
   * JavaScript thread) and listens once it can answer.
   */
  static async bind(info: ConnectionInfo, signer: Signer): Promise<KernelSockets> {
    const sockets = new KernelSockets(info, signer);
    try {
      const [heartbeat] = await Promise.all([
        Heartbeat.start(heartbeatEndpoint(info)),
        sockets.shell.bind(socketAddress(info, info.shell_port)),
        sockets.control.bind(socketAddress(info, info.control_port)),
        sockets.stdin.bind(socketAddress(info, info.stdin_port)),
        sockets.iopub.bind(socketAddress(info, info.iopub_port)),
      ]);
      sockets.heartbeat = heartbeat;
    } catch (e) {
      sockets.close();
      throw e;
    }
    return sockets;
  }

  /** Starts the receive loops: from now on every request goes to `onRequest`, queued ones first. */
  listen(onRequest: RequestHandler): void {
    void this.receiveLoop('control', this.control, onRequest);
    void this.receiveLoop('shell', this.shell, onRequest);
  }

  private async receiveLoop(
    channel: RequestChannel,
    socket: zmq.Router,
    onRequest: RequestHandler,
  ): Promise<void> {
    try {
      for await (const frames of socket) {
        const decoded = decodeMessage(frames, this.signer);
        if (!decoded.ok) {
          // Never executed, never answered: a client that cannot sign is not a client.
          kernelLog(`dropped a ${channel} message (${decoded.reason}: ${decoded.detail})`);
          continue;
        }
        try {
          onRequest(channel, decoded.message);
        } catch (e) {
          kernelLog(`handler failed for ${decoded.message.header.msg_type}: ${String(e)}`);
        }
      }
    } catch (e) {
      if (!this.closed) kernelLog(`${channel} loop ended: ${String(e)}`);
    }
  }

  /** Sends `message` on a socket; resolves once zeromq has taken it. */
  send(channel: RequestChannel | 'iopub' | 'stdin', message: JupyterMessage): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.queues[channel].push(encodeMessage(message, this.signer));
  }

  /** The ports actually bound (port 0 in the connection file picks a free one). */
  get ports(): Record<
    'shell_port' | 'iopub_port' | 'stdin_port' | 'control_port' | 'hb_port',
    number
  > {
    return {
      shell_port: this.info.shell_port,
      iopub_port: this.info.iopub_port,
      stdin_port: this.info.stdin_port,
      control_port: this.info.control_port,
      hb_port: this.info.hb_port,
    };
  }

  /** Closes every socket (pending sends get `linger` ms). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const socket of [this.shell, this.control, this.stdin, this.iopub]) socket.close();
    this.heartbeat?.close();
  }
}
