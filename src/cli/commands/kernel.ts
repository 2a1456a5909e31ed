/**
 * `fancyflow kernel --connection-file <file>`: runs the Jupyter kernel (the kernelspec's argv).
 * Returns when Jupyter shuts the kernel down.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { isS3Url } from '../../stores/s3-location';
import { contextOf } from '../context';

/** The options of `fancyflow kernel`. */
export interface KernelCommandOptions {
  connectionFile: string;
  store?: string;
  queue?: string;
}

/** Adds `fancyflow kernel` to the program. */
export function register(program: Command): void {
  program
    .command('kernel')
    .description('run the Jupyter kernel (Jupyter starts it through the kernelspec)')
    .requiredOption('--connection-file <file>', 'the connection file Jupyter wrote')
    .option(
      '--store <dir>',
      'keep cell values in a disk store at <dir> or in S3 at s3://bucket/prefix (default: $FANCYFLOW_STORE, else memory)',
    )
    .option(
      '--queue <url>',
      'run step cells on the workers of this queue (redis://host:port) (default: $FANCYFLOW_QUEUE, else in the kernel)',
    )
    .action(async (options: KernelCommandOptions, command: Command) => {
      const context = contextOf(command);
      const { io } = context;
      // Loaded here, not at the top: the type checker is heavy and only the kernel needs it.
      const { runKernel } = await import('../../kernel/main');
      const storeDir = options.store ?? (io.env.FANCYFLOW_STORE || undefined);
      await runKernel({
        connectionFile: path.resolve(io.cwd, options.connectionFile),
        ...(storeDir === undefined
          ? {}
          : { storeDir: isS3Url(storeDir) ? storeDir : path.resolve(io.cwd, storeDir) }),
        ...(options.queue === undefined ? {} : { queue: options.queue }),
        onInterrupt: (listener) => io.onInterrupt(listener),
      });
      context.exitCode = 0;
    });
}
