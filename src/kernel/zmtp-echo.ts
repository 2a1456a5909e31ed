/**
 * A ZeroMQ echo device in plain Node: a TCP (or Unix socket) server that speaks ZMTP 3.0 with the
 * NULL mechanism (what libzmq speaks to a peer that sends no credentials, as every Jupyter client
 * does on the heartbeat) and sends every message back to the connection it came from, as a ROUTER
 * echoing its own frames does (REQ and DEALER peers alike).
 *
 * Why not the zeromq addon: the heartbeat runs on a worker thread, and zeromq aborts the whole
 * process when a thread that loaded it ends (zeromq.js issue 411). The wire format (RFC 23,
 * https://rfc.zeromq.org/spec/23/) is small: a 64-byte greeting each way, one READY command each
 * way, then frames of `flags, size, body`.
 */
import net from 'node:net';

/** Where the echo listens: a TCP host and port, or a Unix socket path (`ipc://`). */
export type EchoEndpoint = { host: string; port: number } | { path: string };

/** The largest message echoed (heartbeat pings are a few bytes); a larger one ends the connection. */
export const MAX_ECHO_MESSAGE_BYTES = 64 * 1024;

/** The most connections served at once (each Jupyter client opens one); more are refused. */
export const MAX_ECHO_CONNECTIONS = 1024;

const GREETING_BYTES = 64;
const FLAG_MORE = 0x01;
const FLAG_LONG = 0x02;
const FLAG_COMMAND = 0x04;

/** Our greeting: signature, version 3.0, mechanism NULL, as-server 0, filler. */
const GREETING = (() => {
  const greeting = Buffer.alloc(GREETING_BYTES);
  greeting[0] = 0xff; // signature: 0xFF, 8 bytes of padding, 0x7F
  greeting[9] = 0x7f;
  greeting[10] = 3; // version 3.0: no heartbeat commands are expected from peers
  greeting[11] = 0;
  greeting.write('NULL', 12, 'ascii'); // mechanism, padded with zeros to 20 bytes
  return greeting;
})();

/** A command frame with `name` and `body` after the name. */
function command(name: string, body: Buffer = Buffer.alloc(0)): Buffer {
  return frame(FLAG_COMMAND, Buffer.concat([Buffer.from([name.length]), Buffer.from(name), body]));
}

/** One frame: flags, a short (1 byte) or long (8 bytes) size, the body. */
function frame(flags: number, body: Buffer): Buffer {
  if (body.length <= 255) return Buffer.concat([Buffer.from([flags, body.length]), body]);
  const head = Buffer.alloc(9);
  head[0] = flags | FLAG_LONG;
  head.writeBigUInt64BE(BigInt(body.length), 1);
  return Buffer.concat([head, body]);
}

/** READY with the one property libzmq checks: our socket type (a ROUTER suits REQ and DEALER). */
const READY = (() => {
  const name = Buffer.from('Socket-Type');
  const value = Buffer.from('ROUTER');
  const size = Buffer.alloc(4);
  size.writeUInt32BE(value.length);
  return command('READY', Buffer.concat([Buffer.from([name.length]), name, size, value]));
})();

/** One peer connection: greeting, handshake, then echoing. */
class EchoConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private state: 'greeting' | 'handshake' | 'ready' = 'greeting';
  private message: Buffer[] = [];
  private messageBytes = 0;

  constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.write(GREETING);
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    try {
      while (this.step()) {
        // each step consumed a greeting or a frame
      }
    } catch {
      this.socket.destroy(); // not ZMTP 3 with NULL, or a message too large: not a heartbeat
    }
  }

  /** Consumes one unit (greeting or frame) from the buffer; false when more bytes are needed. */
  private step(): boolean {
    if (this.state === 'greeting') {
      if (this.buffered.length < GREETING_BYTES) {
        // A peer that is not ZMTP at all is dropped as soon as its first byte says so.
        if (this.buffered.length > 0 && this.buffered[0] !== 0xff) throw new Error('not ZMTP');
        return false;
      }
      const greeting = this.buffered.subarray(0, GREETING_BYTES);
      const mechanism = greeting.subarray(12, 32).toString('ascii').replace(/\0+$/, '');
      if (greeting[0] !== 0xff || (greeting[9]! & 0x01) === 0 || greeting[10]! < 3) {
        throw new Error('not ZMTP 3');
      }
      if (mechanism !== 'NULL') throw new Error(`mechanism ${mechanism}`);
      this.buffered = this.buffered.subarray(GREETING_BYTES);
      this.state = 'handshake';
      this.socket.write(READY);
      return true;
    }
    if (this.buffered.length < 2) return false;
    const flags = this.buffered[0]!;
    let size: number;
    let offset: number;
    if (flags & FLAG_LONG) {
      if (this.buffered.length < 9) return false;
      const long = this.buffered.readBigUInt64BE(1);
      if (long > BigInt(MAX_ECHO_MESSAGE_BYTES)) throw new Error('frame too large');
      size = Number(long);
      offset = 9;
    } else {
      size = this.buffered[1]!;
      offset = 2;
    }
    if (this.buffered.length < offset + size) return false;
    const body = this.buffered.subarray(offset, offset + size);
    this.buffered = this.buffered.subarray(offset + size);
    if (flags & FLAG_COMMAND) this.onCommand(body);
    else this.onFrame(flags, body);
    return true;
  }

  private onCommand(body: Buffer): void {
    const name = body.subarray(1, 1 + body[0]!).toString('ascii');
    if (this.state === 'handshake') {
      if (name !== 'READY') throw new Error(`${name} during the handshake`);
      this.state = 'ready';
      return;
    }
    // ZMTP 3.1 heartbeats, should a peer send them anyway: PING ttl(2) context → PONG context.
    if (name === 'PING') this.socket.write(command('PONG', body.subarray(1 + body[0]! + 2)));
  }

  private onFrame(flags: number, body: Buffer): void {
    if (this.state !== 'ready') throw new Error('a message before the handshake');
    this.messageBytes += body.length;
    if (this.messageBytes > MAX_ECHO_MESSAGE_BYTES) throw new Error('message too large');
    this.message.push(Buffer.from(body));
    if (flags & FLAG_MORE) return;
    const frames = this.message;
    this.message = [];
    this.messageBytes = 0;
    this.socket.write(
      Buffer.concat(frames.map((f, i) => frame(i < frames.length - 1 ? FLAG_MORE : 0, f))),
    );
  }
}

/** A running echo server. */
export interface EchoServer {
  /** The port it listens on (TCP), e.g. when `endpoint.port` was 0. */
  readonly port: number | undefined;
  /** Stops listening and ends every connection (a closed heartbeat looks dead at once). */
  close(): Promise<void>;
}

/**
 * Starts an echo server on `endpoint`; resolves once it listens.
 *
 * @example
 * const echo = await startEchoServer({ host: '127.0.0.1', port: 5555 });
 * await echo.close();
 */
export function startEchoServer(endpoint: EchoEndpoint): Promise<EchoServer> {
  const connections = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    new EchoConnection(socket);
  });
  server.maxConnections = MAX_ECHO_CONNECTIONS;
  const echo: EchoServer = {
    get port() {
      const address = server.address();
      return typeof address === 'object' && address !== null ? address.port : undefined;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of connections) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const listening = (): void => {
      server.off('error', reject);
      resolve(echo);
    };
    if ('path' in endpoint) server.listen(endpoint.path, listening);
    else server.listen(endpoint.port, endpoint.host, listening);
  });
}
