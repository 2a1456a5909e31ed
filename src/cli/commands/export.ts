/**
 * `fancyflow export <notebook.ipynb> [-o workflow.json] [--steps-module steps.ts]`: the workflow a
 * notebook carries, as a document a worker or `fancyflow run` can use without the notebook. Steps
 * the notebook defines in its own cells go into a TypeScript module (the cells that define them,
 * with the import cells above them), which the document then names in `modules`. Runs no code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { FancyflowError, FORMAT_VERSION, Workflow, type WorkflowDocument } from '../../core';
import { contextOf, type CliContext } from '../context';
import { readWorkflowFile } from '../load-workflow';
import { isNotebookValue, readNotebook, type NotebookCell } from '../notebook-file';
import { ExitCode, reportError } from '../report-error';

/** The options of `fancyflow export`. */
export interface ExportCommandOptions {
  output?: string;
  stepsModule?: string;
  debug?: boolean;
}

/** True when a cell's code is nothing but import declarations (and comments). */
async function isImportCell(source: string): Promise<boolean> {
  const ts = await import('@tslab/typescript-for-tslab');
  const file = ts.createSourceFile('cell.ts', source, ts.ScriptTarget.Latest, false);
  return file.statements.length > 0 && file.statements.every((s) => ts.isImportDeclaration(s));
}

/** The module text: the definition cells, after the import cells above the last of them. */
async function stepsModuleText(
  notebookName: string,
  cells: readonly NotebookCell[],
  definitionCells: ReadonlySet<string>,
): Promise<string> {
  const last = Math.max(...cells.filter((c) => definitionCells.has(c.id)).map((c) => c.index));
  const parts = [
    `// Steps defined in ${notebookName}, written by \`fancyflow export\`: the cells that define`,
    '// them, after the import cells above them. Edit the notebook, then export again.',
  ];
  for (const cell of cells) {
    if (cell.type !== 'code' || cell.index > last) continue;
    if (definitionCells.has(cell.id) || (await isImportCell(cell.source))) {
      parts.push('', `// cell ${cell.index + 1} (${cell.id})`, cell.source.trimEnd());
    }
  }
  parts.push('', 'export {};', '');
  return parts.join('\n');
}

/** A path as a document writes it: relative to `from`, with forward slashes, `./` first. */
function relativeModulePath(from: string, to: string): string {
  const relative = path.relative(from, to).split(path.sep).join('/');
  return relative.startsWith('.') ? relative : `./${relative}`;
}

/** Runs `fancyflow export` and returns its exit code. */
export async function exportCommand(
  file: string,
  options: ExportCommandOptions,
  context: CliContext,
): Promise<number> {
  const { io } = context;
  try {
    const source = readWorkflowFile(file, io.cwd);
    if (!isNotebookValue(source.value)) {
      throw new FancyflowError('INVALID_DOCUMENT', 'export reads a notebook (.ipynb)', {
        details: { pointer: '' },
      });
    }
    const notebook = readNotebook(source.value);
    const workflow = Workflow.parse(source.value);
    const cellIds = new Set(notebook.cells.map((c) => c.id));
    const used = new Set(workflow.steps.map((s) => s.slug));
    const definitions = Object.entries(workflow.definitions).filter(
      ([slug, cell]) => used.has(slug) && cellIds.has(cell),
    );
    const outputFile =
      options.output === undefined ? undefined : path.resolve(io.cwd, options.output);
    const document: WorkflowDocument = {
      ...workflow.toJSON(),
      formatVersion: FORMAT_VERSION,
      definitions: {},
    };
    if (definitions.length > 0) {
      if (options.stepsModule === undefined) {
        const [slug, cell] = definitions[0]!;
        const cellIndex = notebook.cells.find((c) => c.id === cell)!.index;
        throw new FancyflowError(
          'UNKNOWN_STEP',
          `Step "${slug}" is defined in cell ${cellIndex + 1} of the notebook, which a workflow document cannot carry: pass --steps-module <file.ts> to write the defining cells as a module the document names`,
          { details: { slug, cellId: cell, pointer: `${source.base}/definitions/${slug}` } },
        );
      }
      const moduleFile = path.resolve(io.cwd, options.stepsModule);
      const text = await stepsModuleText(
        path.basename(source.path),
        notebook.cells,
        new Set(definitions.map(([, cell]) => cell)),
      );
      mkdirSync(path.dirname(moduleFile), { recursive: true });
      writeFileSync(moduleFile, text);
      const base = outputFile ? path.dirname(outputFile) : io.cwd;
      document.modules = [...new Set([...document.modules, relativeModulePath(base, moduleFile)])];
    }
    const json = JSON.stringify(document, null, 2) + '\n';
    if (outputFile) {
      mkdirSync(path.dirname(outputFile), { recursive: true });
      writeFileSync(outputFile, json);
      io.stderr.write(
        `fancyflow: wrote ${path.relative(io.cwd, outputFile) || outputFile} (${workflow.length} steps)\n`,
      );
    } else {
      io.stdout.write(json);
    }
    return ExitCode.OK;
  } catch (e) {
    reportError(io.stderr, e, { file, debug: options.debug ?? false });
    return ExitCode.INVALID_INPUT;
  }
}

/** Adds `export` to the program. */
export function register(program: Command): void {
  program
    .command('export')
    .description(
      "write a notebook's workflow as a document (and its cell-defined steps as a module)",
    )
    .argument('<notebook>', 'a notebook (.ipynb) saved with its fancyflow workflow')
    .option('-o, --output <file>', 'the workflow document to write (default: stdout)')
    .option(
      '--steps-module <file>',
      'where to write the steps the notebook defines in its cells, as a TypeScript module',
    )
    .addHelpText(
      'after',
      `
Runs no code. The module holds the cells that define steps and the import cells above them;
\`fancyflow run <document>\` (and a worker) load it through the document's modules.

Example:
  $ fancyflow export analysis.ipynb -o analysis.workflow.json --steps-module analysis.steps.ts
  $ fancyflow run analysis.workflow.json`,
    )
    .action(async (file: string, options: ExportCommandOptions, command: Command) => {
      const context = contextOf(command);
      const debug = command.optsWithGlobals<{ debug?: boolean }>().debug ?? false;
      context.exitCode = await exportCommand(file, { ...options, debug }, context);
    });
}
