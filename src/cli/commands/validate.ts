/**
 * `fancyflow validate <file>`: the checks of `run` (format, ids, modules, slugs, wiring, configs)
 * without running. Exit 0 with `ok: N steps`, or 2 with a one-line message.
 */
import type { Command } from 'commander';
import type { DatumStore } from '../../core';
import { contextOf, type CliContext } from '../context';
import { prepareWorkflow, readWorkflowFile } from '../load-workflow';
import { MEMORY_STORE, openStore } from '../open-store';
import { ExitCode, reportError } from '../report-error';

/** The options of `fancyflow validate`. */
export interface ValidateCommandOptions {
  steps?: string[];
  store?: string;
  debug?: boolean;
}

/** Runs `fancyflow validate` and returns its exit code. */
export async function validateCommand(
  file: string,
  options: ValidateCommandOptions,
  context: CliContext,
): Promise<number> {
  const { io } = context;
  try {
    const source = readWorkflowFile(file, io.cwd);
    let store: DatumStore | undefined;
    if (options.store !== undefined && options.store !== MEMORY_STORE) {
      const opened = await openStore(options.store, io.cwd);
      store = opened.store;
      for (const warning of opened.warnings) io.stderr.write(warning + '\n');
    }
    const known = store;
    const workflow = prepareWorkflow(source, {
      cwd: io.cwd,
      steps: options.steps ?? [],
      ...(known ? { known: (cellId: string) => known.has(cellId) } : {}),
    });
    io.stdout.write(`ok: ${workflow.length} step${workflow.length === 1 ? '' : 's'}\n`);
    return ExitCode.OK;
  } catch (e) {
    reportError(io.stderr, e, { file, debug: options.debug ?? false });
    return ExitCode.INVALID_INPUT;
  }
}

/** Adds `validate` to the program. */
export function register(program: Command): void {
  program
    .command('validate')
    .description('check a workflow without running it')
    .argument('<file>', 'a workflow document (.json) or a notebook (.ipynb) carrying one')
    .option(
      '--steps <module...>',
      'more step modules to load: paths relative to the working directory, or package names',
    )
    .option('--store <dir>', 'a disk store whose cells the workflow may be wired to')
    .addHelpText(
      'after',
      '\nExit codes: 0 valid, 2 invalid (one line on stderr says what and where).',
    )
    .action(async (file: string, options: ValidateCommandOptions, command: Command) => {
      const context = contextOf(command);
      const debug = command.optsWithGlobals<{ debug?: boolean }>().debug ?? false;
      context.exitCode = await validateCommand(file, { ...options, debug }, context);
    });
}
