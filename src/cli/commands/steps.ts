/**
 * `fancyflow steps`: the registered steps with their contracts, grouped by category (or, with
 * `--json`, the `StepDescriptor[]` of `registry.describe()`).
 */
import type { Command } from 'commander';
import { defaultRegistry, type StepDescriptor } from '../../core';
import { palette, type Palette } from '../ansi';
import { colorsFor, contextOf, type CliContext } from '../context';
import { configFields, describeSchema } from '../describe-schema';
import { ExitCode, reportError } from '../report-error';
import { loadPackageRoot, loadStepModules } from '../step-modules';
import { layoutColumns, wrapText } from '../text-format';

/** The options of `fancyflow steps`. */
export interface StepsCommandOptions {
  steps?: string[];
  json?: boolean;
  debug?: boolean;
}

/** `(df: table, n?: number[]) → table` */
export function formatSignature(step: StepDescriptor): string {
  const inputs = Object.entries(step.inputs).map(
    ([name, input]) => `${name}${input.optional ? '?' : ''}: ${describeSchema(input.schema)}`,
  );
  return `(${inputs.join(', ')}) → ${describeSchema(step.output)}`;
}

function formatStep(step: StepDescriptor, colors: Palette, width: number): string[] {
  const traits = step.traits.execution === 'batch' ? '' : `, ${step.traits.execution}`;
  const title = step.title !== step.slug ? `  ${step.title}` : '';
  const lines = [`  ${colors.bold(step.slug)}${title}  ${colors.dim(`v${step.version}${traits}`)}`];
  if (step.description) {
    lines.push(...wrapText(step.description, width - 4).map((l) => `    ${l}`));
  }
  lines.push(`    ${formatSignature(step)}`);
  const fields = configFields(step.config);
  if (fields.length > 0) {
    lines.push('    config:');
    const rows = layoutColumns(
      fields.map((f) => [
        `      ${f.name}${f.required ? '' : '?'}`,
        f.type,
        f.default === undefined ? (f.required ? '(required)' : '') : `= ${f.default}`,
      ]),
    );
    const column = Math.max(...rows.map((r) => r.length)) + 2;
    fields.forEach((f, i) => {
      const row = rows[i]!;
      const description = f.description ?? '';
      if (column + description.length <= width) {
        lines.push(description ? `${row.padEnd(column)}${colors.dim(description)}` : row);
      } else {
        lines.push(
          row,
          ...wrapText(description, width - 10).map((l) => `          ${colors.dim(l)}`),
        );
      }
    });
  }
  return lines;
}

/** The human listing: steps grouped by category, ending with a newline. */
export function formatStepList(
  steps: readonly StepDescriptor[],
  options: { color?: boolean; width?: number } = {},
): string {
  const colors = palette(options.color ?? false);
  const width = Math.max(40, options.width ?? 100);
  if (steps.length === 0) return 'No steps are registered.\n';
  const groups = new Map<string, StepDescriptor[]>();
  for (const s of steps) groups.set(s.category, [...(groups.get(s.category) ?? []), s]);
  const out: string[] = [];
  for (const [category, members] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(colors.cyan(`${category} (${members.length})`));
    for (const s of members) out.push(...formatStep(s, colors, width), '');
  }
  out.push(`${steps.length} step${steps.length === 1 ? '' : 's'}`);
  return out.join('\n') + '\n';
}

/** Runs `fancyflow steps` and returns its exit code. */
export function stepsCommand(options: StepsCommandOptions, context: CliContext): number {
  const { io } = context;
  try {
    loadPackageRoot();
    loadStepModules(options.steps ?? [], io.cwd, { option: '--steps' });
  } catch (e) {
    reportError(io.stderr, e, { debug: options.debug ?? false });
    return ExitCode.INVALID_INPUT;
  }
  const steps = defaultRegistry().describe();
  if (options.json) io.stdout.write(JSON.stringify(steps, null, 2) + '\n');
  else {
    const width = io.stdout.isTTY ? io.stdout.columns : undefined;
    const color = colorsFor(io.stdout, io.env);
    io.stdout.write(formatStepList(steps, width === undefined ? { color } : { color, width }));
  }
  return ExitCode.OK;
}

/** Adds `steps` to the program. */
export function register(program: Command): void {
  program
    .command('steps')
    .description('list the registered steps with their contracts')
    .option(
      '--steps <module...>',
      'more step modules to load: paths relative to the working directory, or package names',
    )
    .option('--json', 'print the step descriptors as JSON')
    .action((options: StepsCommandOptions, command: Command) => {
      const context = contextOf(command);
      const debug = command.optsWithGlobals<{ debug?: boolean }>().debug ?? false;
      context.exitCode = stepsCommand({ ...options, debug }, context);
    });
}
