/**
 * What a command needs from the outside world (output streams, the working directory, the
 * environment, Ctrl-C), passed in so that the CLI runs the same under `bin/fancyflow.js` and in a
 * test, and so that no library code calls `process.exit`.
 */
import type { Command } from 'commander';
import { FancyflowError } from '../core';

/** A stream the CLI writes text to (`process.stdout`, `process.stderr`, or a test buffer). */
export interface CliOutput {
  write(text: string): unknown;
  /** True when the stream is a terminal: live progress and colours are drawn only then. */
  readonly isTTY?: boolean;
  /** The terminal's width, when it is one. */
  readonly columns?: number;
}

/** The outside world of one CLI invocation. */
export interface CliIO {
  stdout: CliOutput;
  stderr: CliOutput;
  /** Relative paths on the command line resolve against this. */
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Calls `listener` on Ctrl-C (SIGINT) until the returned function is called. While a listener is
   * installed, Ctrl-C does not kill the process: the listener decides.
   */
  onInterrupt(listener: () => void): () => void;
}

/** The state of one invocation, shared by the program and its commands. */
export interface CliContext {
  readonly io: CliIO;
  /** What `main` returns. Commands set it; default 0. */
  exitCode: number;
}

const contexts = new WeakMap<Command, CliContext>();

/** Binds a context to a program (done once by `createProgram`). */
export function attachContext(program: Command, context: CliContext): void {
  contexts.set(program, context);
}

/**
 * The context of the program a command belongs to. Commands get their `Command` as the last
 * argument of their action handler.
 *
 * @example
 * program.command('hello').action((_options, command: Command) => {
 *   contextOf(command).io.stdout.write('hello\n');
 * });
 */
export function contextOf(command: Command): CliContext {
  for (let c: Command | null = command; c; c = c.parent) {
    const context = contexts.get(c);
    if (context) return context;
  }
  throw new FancyflowError(
    'INTERNAL',
    `Command "${command.name()}" is not part of a program made by createProgram()`,
  );
}

/** The real process: its streams, cwd, environment and SIGINT. */
export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    env: process.env,
    onInterrupt(listener) {
      process.on('SIGINT', listener);
      return () => void process.off('SIGINT', listener);
    },
  };
}

/** True when colours may be written to `stream` (a terminal, and `NO_COLOR` unset). */
export function colorsFor(stream: CliOutput, env: CliIO['env']): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}
