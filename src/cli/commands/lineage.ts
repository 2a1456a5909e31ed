/**
 * `fancyflow lineage <cell> --store <store> [--json]`: what produced a cell, back to the sources:
 * for each cell on the way its step (slug, version, code fingerprint), config, and input cells
 * with their fingerprints, run id and time. Read from the store's index only: no datum is opened.
 */
import type { Command } from 'commander';
import {
  FancyflowError,
  canonicalJson,
  recordOfCell,
  type DatumStore,
  type FancyCell,
  type StepRecord,
} from '../../core';
import { contextOf, type CliContext } from '../context';
import { closeStore, openStore } from '../open-store';
import { ExitCode, reportError } from '../report-error';

/** The options of `fancyflow lineage`. */
export interface LineageCommandOptions {
  store?: string;
  json?: boolean;
  debug?: boolean;
}

/** One cell of a lineage chain. */
export interface LineageEntry {
  cellId: string;
  name?: string;
  fingerprint?: string;
  /** How far from the asked-for cell (0: itself). */
  depth: number;
  /** What produced it; absent for sources (data no recorded step made) and cells not in the store. */
  record?: StepRecord;
  /** False when the store does not hold the cell (any more). */
  inStore: boolean;
}

/** Longest chain walked (a forged index could loop or go on; each cell is visited once anyway). */
const MAX_CELLS = 10_000;

/** The lineage of `cellId` in `store`: the cell, then its inputs, theirs, … (each cell once). */
export function lineageOf(store: DatumStore, cellId: string): LineageEntry[] {
  const out: LineageEntry[] = [];
  const seen = new Set<string>();
  const queue: { id: string; depth: number }[] = [{ id: cellId, depth: 0 }];
  while (queue.length > 0 && out.length < MAX_CELLS) {
    const { id, depth } = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const cell = store.cell(id);
    const entry: LineageEntry = { cellId: id, depth, inStore: cell !== undefined };
    if (cell?.name) entry.name = cell.name;
    if (cell) entry.fingerprint = cell.fingerprint;
    const record = recordOfCell(cell);
    if (record) {
      entry.record = record;
      for (const argument of Object.keys(record.inputs).sort()) {
        queue.push({ id: record.inputs[argument]!.cell, depth: depth + 1 });
      }
    }
    out.push(entry);
  }
  return out;
}

/** The cell `nameOrId` names: a cell id, else the cell of that readable name. */
function findCell(store: DatumStore, nameOrId: string): FancyCell | undefined {
  return store.cell(nameOrId) ?? store.list().find((c) => c.name === nameOrId);
}

function short(fingerprint: string | undefined): string {
  return fingerprint === undefined ? '?' : fingerprint.slice(0, 12);
}

/** The lineage as indented text, one cell per block. */
export function formatLineage(entries: readonly LineageEntry[]): string {
  const lines: string[] = [];
  for (const entry of entries) {
    const indent = '  '.repeat(entry.depth);
    const title =
      entry.name && entry.name !== entry.cellId ? `${entry.name} (${entry.cellId})` : entry.cellId;
    if (!entry.inStore) {
      lines.push(`${indent}${title}: not in the store`);
      continue;
    }
    const record = entry.record;
    if (!record) {
      lines.push(`${indent}${title} [${short(entry.fingerprint)}]: source (no recorded step)`);
      continue;
    }
    lines.push(
      `${indent}${title} [${short(entry.fingerprint)}] ← ${record.slug} ${record.version} (code ${short(record.code)}), run ${record.runId} at ${record.at}${record.cached ? ', cached' : ''}`,
    );
    lines.push(`${indent}  config ${canonicalJson(record.config)}`);
    for (const argument of Object.keys(record.inputs).sort()) {
      const input = record.inputs[argument]!;
      lines.push(`${indent}  ${argument} = ${input.cell} [${short(input.fingerprint)}]`);
    }
  }
  return lines.join('\n') + '\n';
}

/** Runs `fancyflow lineage` and returns its exit code. */
export async function lineageCommand(
  nameOrId: string,
  options: LineageCommandOptions,
  context: CliContext,
): Promise<number> {
  const { io } = context;
  let store: DatumStore | undefined;
  try {
    if (options.store === undefined) {
      throw new FancyflowError(
        'INVALID_CONFIG',
        'lineage needs --store <store> (a directory or s3://bucket/prefix)',
        {
          details: { option: '--store' },
        },
      );
    }
    const opened = await openStore(options.store, io.cwd);
    store = opened.store;
    for (const warning of opened.warnings) io.stderr.write(warning + '\n');
    const cell = findCell(store, nameOrId);
    if (!cell) {
      throw new FancyflowError(
        'DATUM_NOT_FOUND',
        `The store ${store.description} holds no cell "${nameOrId}"`,
        {
          details: { cellId: nameOrId },
        },
      );
    }
    const chain = lineageOf(store, cell.id);
    if (options.json) {
      io.stdout.write(JSON.stringify({ cell: cell.id, chain }, null, 2) + '\n');
    } else {
      io.stdout.write(formatLineage(chain));
    }
    return ExitCode.OK;
  } catch (e) {
    reportError(io.stderr, e, { debug: options.debug ?? false });
    return ExitCode.INVALID_INPUT;
  } finally {
    if (store) closeStore(store);
  }
}

/** Adds `lineage` to the program. */
export function register(program: Command): void {
  program
    .command('lineage')
    .description("print what produced a cell, back to the sources (from the store's index only)")
    .argument('<cell>', 'a cell id (a step id) or a readable cell name')
    .option('--store <store>', 'the store holding the cell: a directory or s3://bucket/prefix')
    .option('--json', 'print the chain as JSON')
    .addHelpText(
      'after',
      `
Each cell shows the step that produced it (slug, version, code fingerprint), its config, run id and
time, and its input cells with their fingerprints; then the same for each input, back to cells no
recorded step produced. No datum is read.

Examples:
  $ fancyflow lineage by_origin --store .fancyflow-store
  $ fancyflow lineage consumption_chart --store .fancyflow-store --json`,
    )
    .action(async (cell: string, options: LineageCommandOptions, command: Command) => {
      const context = contextOf(command);
      const debug = command.optsWithGlobals<{ debug?: boolean }>().debug ?? false;
      context.exitCode = await lineageCommand(cell, { ...options, debug }, context);
    });
}
