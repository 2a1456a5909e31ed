/**
 * The `fancyflow` command line. `main(argv)` builds the program, runs one command and returns its
 * exit code; only `bin/fancyflow.js` exits the process.
 *
 * A command is a file under `commands/` exporting `register(program)`; adding one is adding the
 * file and its line in {@link COMMANDS}.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { attachContext, processIO, type CliContext, type CliIO } from './context';
import { ExitCode, oneLine, reportError } from './report-error';

/** Adds one command to the program. */
export type RegisterCommand = (program: Command) => void;

/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * The commands, in the order `--help` lists them: each one's name and its module, loaded only
 * when the program needs it (`fancyflow kernel` loads no other command's dependencies).
 */
export const COMMANDS: readonly (readonly [string, () => RegisterCommand])[] = [
  ['run', () => (require('./commands/run') as typeof import('./commands/run')).register],
  ['worker', () => (require('./commands/worker') as typeof import('./commands/worker')).register],
  [
    'validate',
    () => (require('./commands/validate') as typeof import('./commands/validate')).register,
  ],
  ['status', () => (require('./commands/status') as typeof import('./commands/status')).register],
  [
    'lineage',
    () => (require('./commands/lineage') as typeof import('./commands/lineage')).register,
  ],
  ['export', () => (require('./commands/export') as typeof import('./commands/export')).register],
  ['steps', () => (require('./commands/steps') as typeof import('./commands/steps')).register],
  [
    'install',
    () => (require('./commands/install') as typeof import('./commands/install')).register,
  ],
  ['kernel', () => (require('./commands/kernel') as typeof import('./commands/kernel')).register],
];
/* eslint-enable @typescript-eslint/no-require-imports */

function packageVersion(): string {
  try {
    const file = path.join(__dirname, '..', '..', 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * Builds the program for one invocation: its output goes to `context.io`, and errors of commander
 * (unknown options, missing arguments) are thrown, not exited on.
 */
export function createProgram(context: CliContext, argv: readonly string[] = []): Command {
  const { io } = context;
  const program = new Command('fancyflow');
  program
    .description('Typed, replayable data workflows: run, check and explore them from the shell.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--debug', 'print stack traces with error messages')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      outputError: (text, write) => {
        const message = oneLine(text.replace(/^error: /, ''));
        write(`fancyflow: ${message}${/Did you mean/.test(message) ? '' : ' (see --help)'}\n`);
      },
    })
    .showSuggestionAfterError(true);
  attachContext(program, context);
  // A command line that starts with a command's name needs that command only.
  const named = COMMANDS.filter(([name]) => name === argv[0]);
  for (const [, load] of named.length > 0 ? named : COMMANDS) load()(program);
  program.helpCommand('help [command]', 'show help for a command');
  return program;
}

/**
 * Runs the command line `argv` (the arguments after the program name) and returns the exit code:
 * 0 success, 1 a step failed, 2 invalid input or usage, 130 interrupted.
 *
 * @example
 * const code = await main(['run', 'workflow.json', '--json']);
 */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const context: CliContext = { io, exitCode: ExitCode.OK };
  const program = createProgram(context, argv);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return context.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end with exit code 0; everything else commander refuses is usage.
      return e.exitCode === 0 ? ExitCode.OK : ExitCode.INVALID_INPUT;
    }
    reportError(io.stderr, e, { debug: argv.includes('--debug') });
    return ExitCode.FAILED;
  }
}
