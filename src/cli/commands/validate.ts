/**
 * `fancyflow validate <file>`: checks a workflow document or a notebook WITHOUT running any of its
 * code, so it is safe on a file someone else wrote. Checked: the JSON, the format, step ids, the
 * wiring, and — for steps of this package's own library and of modules the user names with
 * `--steps` — slugs, arguments and configs. Steps that only the document's own code could define
 * (its `modules`, or cells of the notebook) are reported as not checked, never loaded.
 * Exit 0 with `ok: …`, or 2 with a one-line message.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import {
  Workflow,
  checkStep,
  defaultRegistry,
  type DatumStore,
  type WorkflowStep,
} from '../../core';
import { contextOf, type CliContext } from '../context';
import { readWorkflowFile } from '../load-workflow';
import { isNotebookValue, readNotebook } from '../notebook-file';
import { MEMORY_STORE, openStore } from '../open-store';
import { ExitCode, reportError } from '../report-error';
import { PACKAGE_MODULE, findStepModule, loadPackageRoot, loadStepModules } from '../step-modules';

/** The options of `fancyflow validate`. */
export interface ValidateCommandOptions {
  steps?: string[];
  store?: string;
  debug?: boolean;
}

/** A step validate could not check, and why. */
interface Unchecked {
  step: WorkflowStep;
  reason: string;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
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
    if (isNotebookValue(source.value)) {
      const notebook = readNotebook(source.value);
      if (notebook.metadata['fancyflow'] === undefined) {
        const code = notebook.cells.filter((c) => c.type === 'code').length;
        io.stdout.write(
          `ok: a notebook with ${plural(code, 'code cell')}; it carries no saved fancyflow workflow, so no step was checked (run it, or open and save it in JupyterLab, to record its steps)\n`,
        );
        return ExitCode.OK;
      }
    }
    let store: DatumStore | undefined;
    if (options.store !== undefined && options.store !== MEMORY_STORE) {
      const opened = await openStore(options.store, io.cwd);
      store = opened.store;
      for (const warning of opened.warnings) io.stderr.write(warning + '\n');
    }
    const known = store;
    // the format, ids and wiring: no code involved
    const workflow = Workflow.parse(
      source.value,
      known ? { known: (cellId: string) => known.has(cellId) } : {},
    );
    // this package's own library, and the modules the user names: never the document's modules
    loadPackageRoot();
    loadStepModules(options.steps ?? [], io.cwd, { option: '--steps' });
    const registry = defaultRegistry();
    // the document's modules must exist (found, not loaded); those --steps loaded are checked
    const given = new Set(
      (options.steps ?? []).map((spec) => findStepModule(spec, io.cwd, { option: '--steps' })),
    );
    const foreign = workflow.modules.filter(
      (spec, i) =>
        spec !== PACKAGE_MODULE &&
        !given.has(
          findStepModule(spec, path.dirname(source.path), {
            pointer: `${source.base}/modules/${i}`,
          }),
        ),
    );
    const unchecked: Unchecked[] = [];
    workflow.steps.forEach((step, i) => {
      const pointer = `${source.base}/steps/${i}`;
      if (registry.get(step.slug)) {
        checkStep(step, registry, pointer);
        return;
      }
      const cell = workflow.definitions[step.slug];
      if (cell !== undefined) {
        unchecked.push({ step, reason: `defined in notebook cell ${cell}` });
      } else if (foreign.length > 0) {
        unchecked.push({
          step,
          reason: `from module ${foreign.map((m) => `"${m}"`).join(' or ')}`,
        });
      } else {
        // nothing the document names can define it: a typo, most likely (did-you-mean)
        checkStep(step, registry, pointer);
      }
    });
    const checked = workflow.length - unchecked.length;
    let line = `ok: ${plural(workflow.length, 'step')}`;
    if (unchecked.length > 0) {
      const slugs = [...new Set(unchecked.map((u) => `${u.step.slug} (${u.reason})`))];
      line += ` (${checked} checked; not checked, because validate runs none of the file's code: ${slugs.join(', ')}; pass --steps <module> to check them)`;
    }
    io.stdout.write(line + '\n');
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
    .description('check a workflow document or a notebook without running any of its code')
    .argument('<file>', 'a workflow document (.json) or a notebook (.ipynb)')
    .option(
      '--steps <module...>',
      'step modules to check the steps against: paths relative to the working directory, or package names (these ARE loaded)',
    )
    .option('--store <dir>', 'a disk store whose cells the workflow may be wired to')
    .addHelpText(
      'after',
      `
validate never runs code from the file: the modules a document names and the cells of a notebook
are not loaded. Steps of fancyflow's own library and of --steps modules are checked fully; the
others are listed as not checked.

Exit codes: 0 valid, 2 invalid (one line on stderr says what and where).`,
    )
    .action(async (file: string, options: ValidateCommandOptions, command: Command) => {
      const context = contextOf(command);
      const debug = command.optsWithGlobals<{ debug?: boolean }>().debug ?? false;
      context.exitCode = await validateCommand(file, { ...options, debug }, context);
    });
}
