/**
 * The kernel's heartbeat, echoed on a thread of its own.
 *
 * Jupyter clients ping the heartbeat socket and declare a kernel dead when pings go unanswered
 * (jupyter_client's default: 3 s). Echoing on the kernel's JavaScript thread cannot answer while a
 * cell computes, so a `worker_threads` Worker listens on the heartbeat endpoint and echoes there
 * with a ZMTP echo device written in plain Node (`zmtp-echo.ts`): zeromq itself cannot run on a
 * worker thread (it aborts the process when such a thread ends, zeromq.js issue 411). A thread,
 * not a process: it cannot outlive the kernel, whether the kernel exits, crashes or is killed with
 * SIGKILL, it gets no signals, and it costs a few MB.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FancyflowError } from '../core/errors';
import type { ConnectionInfo } from './connection';
import type { HeartbeatWorkerMessage } from './heartbeat-worker';
import { kernelLog } from './kernel-log';
import type { EchoEndpoint } from './zmtp-echo';

/** The compiled worker script, next to this file in `dist/kernel/`. */
const WORKER_FILE = path.join(__dirname, 'heartbeat-worker.js');

/** The heartbeat endpoint of a connection file, as `socketAddress` binds the other sockets. */
export function heartbeatEndpoint(info: ConnectionInfo): EchoEndpoint {
  if (info.transport === 'ipc') return { path: `${info.ip}-${info.hb_port}` };
  return { host: info.ip === '*' ? '0.0.0.0' : info.ip, port: info.hb_port };
}

/** A running heartbeat echo. */
export class Heartbeat {
  private closed = false;

  private constructor(private readonly worker: Worker) {}

  /** Starts the echo thread on `endpoint`; resolves once it listens. */
  static start(endpoint: EchoEndpoint): Promise<Heartbeat> {
    const where = 'path' in endpoint ? endpoint.path : `${endpoint.host}:${endpoint.port}`;
    const worker = new Worker(WORKER_FILE, { workerData: endpoint });
    // The kernel's own sockets keep the process alive; this thread never should.
    worker.unref();
    return new Promise((resolve, reject) => {
      const fail = (message: string, cause?: unknown): void => {
        void worker.terminate();
        reject(
          new FancyflowError('PROTOCOL', `The heartbeat cannot start on ${where}: ${message}`, {
            details: { endpoint: where },
            cause,
          }),
        );
      };
      worker.once('error', (e) => fail(e.message, e));
      worker.once('exit', (code) => fail(`its thread exited (${code})`));
      worker.once('message', (message: HeartbeatWorkerMessage) => {
        worker.removeAllListeners();
        if (message.type !== 'ready') {
          fail(message.message);
          return;
        }
        const heartbeat = new Heartbeat(worker);
        worker.on('error', (e) => kernelLog(`heartbeat thread failed: ${e.message}`));
        worker.on('exit', (code) => {
          if (!heartbeat.closed) kernelLog(`heartbeat thread exited (${code})`);
        });
        resolve(heartbeat);
      });
    });
  }

  /** Stops listening, ends its connections and the thread. Once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.worker.postMessage('close');
  }
}
