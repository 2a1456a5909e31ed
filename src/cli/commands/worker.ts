/**
 * `fancyflow worker --queue redis://host:port`: takes step jobs from the queue and runs them
 * against the shared store, until Ctrl-C or SIGTERM (then it finishes the jobs it holds; a second
 * signal quits at once). Start as many as you like, on as many machines: each job goes to one.
 */
import type { Command } from 'commander';
import type { QueueWorker } from '../../engines/queue/queue-worker';
import { contextOf, type CliContext } from '../context';
import { ExitCode, reportError } from '../report-error';

/** The options of `fancyflow worker`. */
export interface WorkerCommandOptions {
  queue: string;
  store?: string;
  concurrency?: string;
  steps?: string[];
  lockMs?: string;
  stallCheckMs?: string;
  maxStalled?: string;
  quiet?: boolean;
  debug?: boolean;
}

function positive(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${option} must be a whole number ≥ 1`);
  return n;
}

/** Runs `fancyflow worker` until it is stopped; returns its exit code. */
export async function runWorkerCommand(
  options: WorkerCommandOptions,
  context: CliContext,
): Promise<number> {
  const { io } = context;
  const debug = options.debug ?? false;
  let worker: QueueWorker;
  let concurrency: number;
  try {
    concurrency = positive(options.concurrency, '--concurrency') ?? 1;
    const lockMs = positive(options.lockMs, '--lock-ms');
    const stallCheckMs = positive(options.stallCheckMs, '--stall-check-ms');
    const maxStalled = positive(options.maxStalled, '--max-stalled');
    const { QueueWorker } = await import('../../engines/queue/queue-worker');
    worker = await QueueWorker.start({
      url: options.queue,
      ...(options.store === undefined ? {} : { store: options.store }),
      concurrency,
      steps: options.steps ?? [],
      cwd: io.cwd,
      stall: {
        ...(lockMs === undefined ? {} : { lockMs }),
        ...(stallCheckMs === undefined ? {} : { stallCheckMs }),
        ...(maxStalled === undefined ? {} : { maxStalled }),
      },
      ...(options.quiet
        ? {}
        : { log: (line: string) => io.stderr.write(`fancyflow worker: ${line}\n`) }),
    });
  } catch (e) {
    reportError(io.stderr, e, { debug });
    return ExitCode.INVALID_INPUT;
  }
  io.stderr.write(
    `fancyflow worker: ready (pid ${process.pid}, concurrency ${concurrency}); Ctrl-C stops after the running jobs\n`,
  );
  let offInterrupt: () => void = () => undefined;
  let onTerm: () => void = () => undefined;
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) {
        io.stderr.write('fancyflow worker: quitting now\n');
        resolve();
        return;
      }
      stopping = true;
      io.stderr.write('fancyflow worker: stopping after the running jobs (again to quit now)\n');
      void worker.close().then(resolve, resolve);
    };
    offInterrupt = io.onInterrupt(stop);
    // Kubernetes and systemd stop a process with SIGTERM
    onTerm = stop;
    process.on('SIGTERM', onTerm);
  });
  offInterrupt();
  process.off('SIGTERM', onTerm);
  return ExitCode.OK;
}

/** Adds `fancyflow worker` to the program. */
export function register(program: Command): void {
  program
    .command('worker')
    .description('take step jobs from a queue (Redis) and run them against the shared store')
    .requiredOption('--queue <url>', 'the queue: redis://host:port[/db]')
    .option(
      '--store <store>',
      "the shared store, when it is mounted here at another path than the runs name: a directory or s3://bucket/prefix (default: each run's own)",
    )
    .option(
      '--concurrency <n>',
      'jobs at once in this process (default 1; CPU-bound steps want one process per core)',
    )
    .option(
      '--steps <module...>',
      'step modules to load (steps a notebook defines: see fancyflow export --steps-module)',
    )
    .option(
      '--lock-ms <ms>',
      'how long a job stays locked without a sign of life from its worker (default 10000)',
    )
    .option(
      '--stall-check-ms <ms>',
      'how often workers look for jobs whose worker died (default 5000)',
    )
    .option(
      '--max-stalled <n>',
      'how many times a job may be taken over before it fails (default 5)',
    )
    .option('-q, --quiet', 'no line per job on stderr')
    .addHelpText(
      'after',
      `
A job names a run and a step: the run's document, modules and store come from the run
(fancyflow run --queue). Steps are at least once: a worker that dies mid-step leaves its job to
another within about --lock-ms + --stall-check-ms.

Examples:
  $ fancyflow worker --queue redis://127.0.0.1:6379
  $ fancyflow worker --queue redis://redis:6379 --concurrency 4 --steps ./steps.ts`,
    )
    .action(async (options: WorkerCommandOptions, command: Command) => {
      const context = contextOf(command);
      const debug = command.optsWithGlobals<{ debug?: boolean }>().debug ?? false;
      context.exitCode = await runWorkerCommand({ ...options, debug }, context);
    });
}
