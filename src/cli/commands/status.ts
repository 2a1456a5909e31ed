/**
 * `fancyflow status <file> [--store <store>] [--json]`: which steps of a workflow document or a
 * notebook are fresh and which are stale, with the reasons (never run; config changed; input
 * changed; step code changed; upstream stale). It runs nothing and opens no datum: the store's index
 * gives the records and fingerprints, and, as with `validate`, none of the file's own code is
 * loaded (its modules, a notebook's cells): steps only that code defines are reported with their
 * code not checked.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import {
  NOTEBOOK_METADATA_KEY,
  Workflow,
  codeFingerprint,
  defaultRegistry,
  describeReason,
  freshness,
  hashReady,
  recordOfCell,
  stepName,
  type DatumStore,
  type Freshness,
  type StaleReason,
  type StepRecord,
} from '../../core';
import { readCellMetadata } from '../../core/notebook-metadata';
import { cacheSettings } from '../../kernel/step-code';
import { colorsFor, contextOf, type CliContext } from '../context';
import { readWorkflowFile } from '../load-workflow';
import { isNotebookValue, readNotebook } from '../notebook-file';
import { MEMORY_STORE, closeStore, openStore } from '../open-store';
import { palette } from '../ansi';
import { ExitCode, reportError } from '../report-error';
import { loadPackageRoot, loadStepModules } from '../step-modules';
import { layoutColumns, type TextCell } from '../text-format';

/** The options of `fancyflow status`. */
export interface StatusCommandOptions {
  store?: string;
  steps?: string[];
  json?: boolean;
  debug?: boolean;
}

/** One step's line of `fancyflow status --json`. */
export interface StepFreshness extends Freshness {
  slug: string;
  name: string;
  /** The reasons as people read them. */
  why: string[];
  /** Where its last record came from: the store's index or the notebook's cell metadata. */
  recordFrom?: 'store' | 'notebook';
  /** When the step's code was not known (not loaded: the file's own code), why. */
  codeNotChecked?: string;
}

/** Runs `fancyflow status` and returns its exit code. */
export async function statusCommand(
  file: string,
  options: StatusCommandOptions,
  context: CliContext,
): Promise<number> {
  const { io } = context;
  let store: DatumStore | undefined;
  try {
    const source = readWorkflowFile(file, io.cwd);
    const notebookRecords = new Map<string, StepRecord>();
    if (isNotebookValue(source.value)) {
      for (const cell of readNotebook(source.value).cells) {
        if (cell.type !== 'code') continue;
        const record = readCellMetadata(cell.metadata[NOTEBOOK_METADATA_KEY])?.record;
        if (record) notebookRecords.set(cell.id, record as StepRecord);
      }
    }
    if (options.store !== undefined && options.store !== MEMORY_STORE) {
      const opened = await openStore(options.store, io.cwd);
      store = opened.store;
      for (const warning of opened.warnings) io.stderr.write(warning + '\n');
    }
    const known = store;
    const workflow = Workflow.parse(source.value, {
      known: (cellId) => known?.has(cellId) ?? false,
    });
    // this package's library and --steps: never the file's own modules or cells
    loadPackageRoot();
    loadStepModules(options.steps ?? [], io.cwd, { option: '--steps' });
    const loading = hashReady();
    if (loading) await loading;
    const registry = defaultRegistry();
    const settings = cacheSettings(path.dirname(source.path));
    const recordFrom = new Map<string, 'store' | 'notebook'>();
    const last = (stepId: string): StepRecord | undefined => {
      const stored = recordOfCell(store?.cell(stepId));
      if (stored) {
        recordFrom.set(stepId, 'store');
        return stored;
      }
      const saved = notebookRecords.get(stepId);
      if (saved) recordFrom.set(stepId, 'notebook');
      return saved;
    };
    const result = freshness(workflow.toJSON(), last, {
      code: (slug) => {
        const def = registry.get(slug)?.definition;
        return def && codeFingerprint(def, settings);
      },
      fingerprint: (cellId) => store?.cell(cellId)?.fingerprint,
      cacheable: (slug) => registry.get(slug)?.definition.cacheable ?? true,
      source: (step) => {
        const def = registry.get(step.slug)?.definition;
        if (!def?.cacheKey) return undefined;
        try {
          return def.cacheKey(step.config);
        } catch {
          return 'unavailable'; // a file that is gone: stale
        }
      },
    });
    const label = (id: string): string => {
      const step = workflow.get(id);
      if (step) return stepName(step, workflow.indexOf(id) + 1);
      return store?.cell(id)?.name ?? id;
    };
    const steps: StepFreshness[] = result.map((f, i) => {
      const step = workflow.steps[i]!;
      const out: StepFreshness = {
        ...f,
        slug: step.slug,
        name: stepName(step, i + 1),
        why: f.reasons.map((r: StaleReason) => describeReason(r, label)),
      };
      const from = recordFrom.get(step.id);
      if (from) out.recordFrom = from;
      if (!f.codeKnown) {
        const cell = workflow.definitions[step.slug];
        out.codeNotChecked =
          cell !== undefined
            ? `defined in notebook cell ${cell}, which status does not run`
            : `from a module status does not load (pass --steps <module> to check it)`;
      }
      return out;
    });
    if (options.json) {
      io.stdout.write(
        JSON.stringify({ file, store: store?.description ?? null, steps }, null, 2) + '\n',
      );
    } else {
      io.stdout.write(formatStatus(steps, colorsFor(io.stdout, io.env)));
    }
    return ExitCode.OK;
  } catch (e) {
    reportError(io.stderr, e, { file, debug: options.debug ?? false });
    return ExitCode.INVALID_INPUT;
  } finally {
    if (store) closeStore(store);
  }
}

/** The status table: one row per step, and a totals line. */
export function formatStatus(steps: readonly StepFreshness[], color: boolean): string {
  const colors = palette(color);
  const header: TextCell[] = ['STEP', 'SLUG', 'STATE', 'WHY'].map((text) => ({
    text,
    paint: colors.bold,
  }));
  const rows: (TextCell | string)[][] = [header];
  for (const step of steps) {
    const state = step.fresh
      ? { text: 'fresh', paint: colors.green }
      : { text: 'stale', paint: colors.yellow };
    const why = [...step.why];
    if (step.codeNotChecked) why.push(`code not checked: ${step.codeNotChecked}`);
    rows.push([step.name, { text: step.slug, paint: colors.dim }, state, why.join('; ') || '-']);
  }
  const stale = steps.filter((s) => !s.fresh).length;
  const footer = `${steps.length - stale} fresh, ${stale} stale`;
  return layoutColumns(rows).join('\n') + '\n\n' + footer + '\n';
}

/** Adds `status` to the program. */
export function register(program: Command): void {
  program
    .command('status')
    .description('say which steps are fresh and which are stale, and why, without running anything')
    .argument('<file>', 'a workflow document (.json) or a notebook (.ipynb)')
    .option(
      '--store <store>',
      'the store the workflow runs against (a directory or s3://bucket/prefix): its index gives the last records; a notebook also has the records its cells saved',
    )
    .option(
      '--steps <module...>',
      "step modules to compare code against: paths or package names (these ARE loaded; the file's own are not)",
    )
    .option('--json', 'print the freshness of each step as JSON')
    .addHelpText(
      'after',
      `
status runs nothing and reads no datum: the store's index holds what produced each output (the
step's code, config and input fingerprints). Like validate it loads none of the file's own code, so
steps defined in a notebook's cells, or in the document's modules, are compared on everything but
their code (said so in the WHY column) unless --steps loads their module.

Examples:
  $ fancyflow status examples/cars.workflow.json --store .fancyflow-store
  $ fancyflow status analysis.ipynb --store .fancyflow-store --json`,
    )
    .action(async (file: string, options: StatusCommandOptions, command: Command) => {
      const context = contextOf(command);
      const debug = command.optsWithGlobals<{ debug?: boolean }>().debug ?? false;
      context.exitCode = await statusCommand(file, { ...options, debug }, context);
    });
}
