/**
 * The heartbeat's own process (see `heartbeat.ts`): binds a ROUTER socket on the heartbeat address
 * given as its argument and echoes every message back to its sender, whatever the kernel's
 * JavaScript thread is doing. It ends as soon as the kernel does: its stdin is a pipe from the
 * kernel, which the operating system closes when the kernel exits for any reason (SIGKILL too).
 * Kept tiny: it loads only zeromq.
 */
import * as zmq from 'zeromq';

/** How long a bind retries while the port is still held (a restarted kernel's old heartbeat). */
const BIND_RETRY_MS = 5_000;

/** The line this process writes on stdout once bound (anything else is an error to report). */
export const READY_LINE = 'ready';

function exitNow(): void {
  process.exit(0);
}

async function bind(socket: zmq.Router, address: string): Promise<void> {
  const deadline = Date.now() + BIND_RETRY_MS;
  for (;;) {
    try {
      await socket.bind(address);
      return;
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code !== 'EADDRINUSE' || Date.now() > deadline) throw e;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function main(address: string): Promise<void> {
  // Jupyter interrupts a kernel by signalling its process group: an interrupt is not for us.
  process.on('SIGINT', () => {});
  // The kernel is gone (or closed the pipe): so is its heartbeat.
  process.stdin.on('end', exitNow);
  process.stdin.on('close', exitNow);
  process.stdin.on('error', exitNow);
  process.stdin.resume();
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) exitNow();
  }, 1_000).unref();

  // ROUTER echoing its own frames (identity first) is ZeroMQ's echo device, as ipykernel's
  // heartbeat: any number of clients, REQ or DEALER, and no request/reply state to wedge.
  const socket = new zmq.Router();
  socket.linger = 0;
  socket.sendTimeout = 0;
  await bind(socket, address);
  process.stdout.write(`${READY_LINE}\n`);
  for await (const frames of socket) {
    try {
      await socket.send(frames);
    } catch {
      // The peer went away (or its queue is full): a missed beat is what the client measures.
    }
  }
}

if (require.main === module) {
  const address = process.argv[2];
  if (!address) {
    process.stderr.write('usage: node heartbeat-process.js <address>\n');
    process.exit(2);
  }
  main(address).catch((e: unknown) => {
    process.stdout.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
