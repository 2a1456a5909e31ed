/**
 * Reading a workflow file (`.json` document or `.ipynb` notebook) the way `run` and `validate` both
 * need it: parse and check the document, load the step modules it names and those of `--steps`,
 * then check every step against the registry. Every problem is a coded error with a JSON pointer.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  FancyflowError,
  NOTEBOOK_METADATA_KEY,
  Workflow,
  defaultRegistry,
  parseJsonText,
  type FunctionRegistry,
  type KnownCells,
} from '../core';
import { loadPackageRoot, loadStepModules } from './step-modules';

/** Options of {@link loadWorkflow}. */
export interface LoadWorkflowOptions {
  /** Relative paths (the file, `--steps` modules) resolve against it. */
  cwd: string;
  /** Modules from `--steps`. Default none. */
  steps?: readonly string[];
  /** Cells that exist before the run (the store's). Default none. */
  known?: KnownCells;
  /** Default: the default registry (where `step()` registers). */
  registry?: FunctionRegistry;
}

/** Reads a file as UTF-8, or throws `FILE_READ`. */
export function readTextFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new FancyflowError('FILE_READ', `Cannot read the file: ${reason}`, {
      details: { path: file },
      cause: e,
    });
  }
}

/** A workflow file, read and parsed as JSON. */
export interface WorkflowSource {
  /** The absolute path. */
  path: string;
  /** The parsed JSON: a workflow document or a notebook. */
  value: unknown;
  /** The JSON pointer of the workflow document in the file: '' or `/metadata/fancyflow`. */
  base: string;
}

/** Reads a workflow file and parses it as JSON (`FILE_READ`, `INVALID_JSON` with line and column). */
export function readWorkflowFile(file: string, cwd: string): WorkflowSource {
  const fullPath = path.resolve(cwd, file);
  const value = parseJsonText(readTextFile(fullPath));
  return { path: fullPath, value, base: documentBase(value) };
}

/** The JSON pointer under which a file's workflow document lives: '' or `/metadata/fancyflow`. */
function documentBase(value: unknown): string {
  const notebook =
    typeof value === 'object' && value !== null && 'cells' in value && 'nbformat' in value;
  return notebook ? `/metadata/${NOTEBOOK_METADATA_KEY}` : '';
}

/**
 * Checks a workflow source and prepares it for running. Throws a coded error (with
 * `details.pointer`) for: a document that breaks the format, duplicate step ids, bad wiring, a
 * module that fails to load, an unknown slug, bad arguments or a config failing its schema.
 */
export function prepareWorkflow(source: WorkflowSource, options: LoadWorkflowOptions): Workflow {
  const known = options.known;
  // The format, ids and wiring first: the modules list is trustworthy only after that.
  const structure = Workflow.parse(source.value, known ? { known } : {});
  loadPackageRoot();
  loadStepModules(structure.modules, path.dirname(source.path), {
    pointerBase: `${source.base}/modules`,
  });
  loadStepModules(options.steps ?? [], options.cwd, { option: '--steps' });
  const registry = options.registry ?? defaultRegistry();
  return Workflow.parse(source.value, known ? { known, registry } : { registry });
}

/** {@link readWorkflowFile} then {@link prepareWorkflow}. */
export function loadWorkflow(file: string, options: LoadWorkflowOptions): Workflow {
  return prepareWorkflow(readWorkflowFile(file, options.cwd), options);
}
