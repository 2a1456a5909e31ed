/**
 * Starting the kernel process: the module alias, output capture, display hooks, SIGINT, then the
 * kernel itself. `fancyflow kernel --connection-file <file>` calls {@link startKernel}; running this
 * file directly does the same (`node dist/kernel/main.js --connection-file <file>`).
 */
// The table adapters: a cell's arquero or Arrow table is data even if the notebook never imports
// fancyflow. The package root (the standard step library, ~60 ms of loading) loads when first
// needed: a cell imports `fancyflow`, or a front end asks for the steps (session.ts).
import '../tables/register';
import { readConnectionFile } from './connection';
import { registerKernelOutputHost } from './display-api';
import { Kernel, type KernelExit } from './kernel';
import { kernelLog } from './kernel-log';
import { currentOutput } from './output';
import { installNotebookRuntime } from './runtime';

/** Options of {@link startKernel}. */
export interface StartKernelOptions {
  connectionFile: string;
  /** A disk store folder. Default: `FANCYFLOW_STORE` from the environment, else a memory store. */
  storeDir?: string;
  /** A queue for the step cells. Default: `FANCYFLOW_QUEUE` from the environment, else none. */
  queue?: string;
  /** The notebook's folder. Default: the process's cwd (Jupyter starts kernels there). */
  rootDir?: string;
  /** Installs the SIGINT handler through this (the CLI's `onInterrupt`); default `process.on`. */
  onInterrupt?: (listener: () => void) => () => void;
}

/** Starts a kernel process's kernel; resolves with it once its sockets are bound. */
export async function startKernel(options: StartKernelOptions): Promise<Kernel> {
  const connection = readConnectionFile(options.connectionFile);
  if (connection.key === '') {
    // The protocol allows it, Jupyter never writes it: anyone who reaches the ports runs code.
    kernelLog(
      `WARNING: the connection file ${options.connectionFile} has no key: messages are not signed and any process that can reach the kernel's ports can run code in it`,
    );
  }
  installNotebookRuntime();
  const storeDir = options.storeDir ?? (process.env.FANCYFLOW_STORE || undefined);
  const queue = options.queue ?? (process.env.FANCYFLOW_QUEUE || undefined);
  const kernel = await Kernel.start({
    connection,
    ...(storeDir === undefined ? {} : { storeDir }),
    ...(queue === undefined ? {} : { queue }),
    ...(options.rootDir === undefined ? {} : { rootDir: options.rootDir }),
  });
  // SIGINT is how Jupyter interrupts this kernel (interrupt_mode "signal"): V8 stops a synchronous
  // loop (tslab runs cells with breakOnSigint) and this handler rejects a pending await.
  const onInterrupt =
    options.onInterrupt ??
    ((listener: () => void) => {
      process.on('SIGINT', listener);
      return () => void process.off('SIGINT', listener);
    });
  const offInterrupt = onInterrupt(() => kernel.interrupt());
  // Errors thrown by callbacks a cell left behind go to that cell, not to a crash.
  const onUncaught = (error: unknown): void => {
    const sink = currentOutput();
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    if (sink) sink.stream('stderr', `Uncaught ${text}\n`);
    else kernelLog(`uncaught: ${text}`);
  };
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  void kernel.exited.then(() => {
    offInterrupt();
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    registerKernelOutputHost(undefined);
  });
  return kernel;
}

/** Runs a kernel until it shuts down. */
export async function runKernel(options: StartKernelOptions): Promise<KernelExit> {
  const kernel = await startKernel(options);
  return kernel.exited;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const valueOf = (flag: string): string | undefined => {
    const at = args.indexOf(flag);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const connectionFile = valueOf('--connection-file');
  if (!connectionFile) {
    process.stderr.write(
      'usage: node dist/kernel/main.js --connection-file <file> [--store <dir>]\n',
    );
    process.exit(2);
  }
  const storeDir = valueOf('--store');
  runKernel({ connectionFile, ...(storeDir === undefined ? {} : { storeDir }) }).then(
    () => process.exit(0),
    (e: unknown) => {
      kernelLog(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(1);
    },
  );
}
