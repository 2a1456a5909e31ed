/**
 * The heartbeat's thread (see `heartbeat.ts`): the ZMTP echo device on the heartbeat endpoint.
 * Kept tiny: it loads `zmtp-echo.ts` and Node's own modules, never the zeromq addon.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startEchoServer, type EchoEndpoint } from './zmtp-echo';

/** What this thread tells the kernel's thread. */
export type HeartbeatWorkerMessage = { type: 'ready' } | { type: 'error'; message: string };

const port = parentPort!;

function post(message: HeartbeatWorkerMessage): void {
  port.postMessage(message);
}

startEchoServer(workerData as EchoEndpoint).then(
  (echo) => {
    post({ type: 'ready' });
    port.on('message', (message: unknown) => {
      if (message === 'close') void echo.close().then(() => port.close());
    });
  },
  (e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
);
