/**
 * The kernel's heartbeat, echoed by a small process of its own.
 *
 * Jupyter clients ping the heartbeat socket and declare a kernel dead when pings go unanswered
 * (jupyter_client's default: 3 s). Echoing on the kernel's JavaScript thread cannot answer while a
 * cell computes, so a child process (`heartbeat-process.ts`: Node and zeromq, nothing else) binds
 * the heartbeat port and echoes. Not a worker thread: zeromq aborts the whole process when a
 * thread that used it is torn down at exit (zeromq.js issue 411).
 *
 * The child ends with the kernel: its stdin is a pipe from the kernel, which the operating system
 * closes when the kernel exits, crashes or is killed with SIGKILL; it then exits at once and the
 * port is free. It ignores SIGINT (Jupyter interrupts the kernel's whole process group).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { FancyflowError } from '../core/errors';
import { READY_LINE } from './heartbeat-process';
import { kernelLog } from './kernel-log';

/** The compiled child script, next to this file in `dist/kernel/`. */
const SCRIPT = path.join(__dirname, 'heartbeat-process.js');

/** How long a closing heartbeat may take before it is killed. */
const CLOSE_GRACE_MS = 1_000;

/** A running heartbeat echo. */
export class Heartbeat {
  private closed = false;

  private constructor(private readonly child: ChildProcess) {}

  /** The heartbeat process's pid. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Starts the echo process on `address`; resolves once its socket is bound. */
  static start(address: string): Promise<Heartbeat> {
    const child = spawn(process.execPath, [SCRIPT, address], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    return new Promise((resolve, reject) => {
      let output = '';
      const fail = (message: string, cause?: unknown): void => {
        child.kill('SIGKILL');
        reject(
          new FancyflowError('PROTOCOL', `The heartbeat cannot start on ${address}: ${message}`, {
            details: { address },
            cause,
          }),
        );
      };
      const onExit = (code: number | null, signal: string | null): void =>
        fail(`its process exited (${output.trim() || (signal ?? code)})`);
      child.once('error', (e) => fail(e.message, e));
      child.once('exit', onExit);
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', function onData(text: string) {
        output += text;
        if (!output.includes('\n')) return;
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        if (output.trim() !== READY_LINE) {
          fail(output.trim());
          return;
        }
        const heartbeat = new Heartbeat(child);
        child.once('exit', (code, signal) => {
          if (!heartbeat.closed) kernelLog(`heartbeat process exited (${signal ?? code})`);
        });
        // Neither the child nor its pipes keep the kernel alive; the pipe stays open until the
        // kernel exits or closes it.
        child.unref();
        for (const stream of [child.stdin, child.stdout]) {
          (stream as unknown as { unref?: () => void } | null)?.unref?.();
        }
        resolve(heartbeat);
      });
    });
  }

  /** Ends the echo process (closes its stdin; killed if it has not ended in time). Once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), CLOSE_GRACE_MS);
    timer.unref();
    this.child.once('exit', () => clearTimeout(timer));
  }
}
