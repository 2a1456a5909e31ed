/**
 * Writing a notebook after a headless run (`fancyflow run nb.ipynb --output out.ipynb`), as
 * JupyterLab would have saved it: each cell that ran with its outputs and execution count, cells
 * that did not run without outputs, step cells with their `fancyflow` metadata and the notebook
 * with its workflow document, its kernelspec and language_info. Atomic (temp file + rename).
 */
import { renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { NOTEBOOK_METADATA_KEY, type JsonValue, type RunReport } from '../core';
import {
  RUN_HISTORY_KEY,
  appendRun,
  historyRunOf,
  readRunHistory,
  applyStepReport,
  canonicalCellMetadata,
  metadataFromStep,
  readCellMetadata,
  readNotebookWorkflow,
  workflowFromCells,
  type CellSnapshot,
} from '../core/notebook-metadata';
import type { DisplayContent, OutputSink } from '../kernel/output';
import type { WorkflowState } from '../protocol/messages';

/** An nbformat 4 output. */
export type NotebookOutput = Record<string, JsonValue>;

/** The outputs of one cell's execution, as nbformat stores them. */
export class CollectingSink implements OutputSink {
  readonly outputs: NotebookOutput[] = [];
  private clearOnNext = false;

  private add(output: NotebookOutput): void {
    if (this.clearOnNext) {
      this.outputs.length = 0;
      this.clearOnNext = false;
    }
    this.outputs.push(output);
  }

  stream(name: 'stdout' | 'stderr', text: string): void {
    const last = this.outputs[this.outputs.length - 1];
    if (!this.clearOnNext && last?.output_type === 'stream' && last.name === name) {
      last.text = `${String(last.text)}${text}`;
      return;
    }
    this.add({ output_type: 'stream', name, text });
  }

  display(content: DisplayContent, update: boolean): void {
    const id = content.transient?.display_id;
    const output: NotebookOutput = {
      output_type: 'display_data',
      data: content.data as JsonValue,
      metadata: content.metadata as JsonValue,
    };
    if (update) {
      if (id === undefined) return;
      for (const [i, existing] of this.outputs.entries()) {
        if (displayIds.get(existing) === id) {
          this.outputs[i] = output;
          displayIds.set(output, id);
        }
      }
      return;
    }
    this.add(output);
    if (id !== undefined) displayIds.set(output, id);
  }

  clear(wait: boolean): void {
    if (wait) this.clearOnNext = true;
    else this.outputs.length = 0;
  }

  flush(): void {}
}

/** Display ids are transient: never written to the file. */
const displayIds = new WeakMap<NotebookOutput, string>();

/** What ran in each cell. */
export interface CellRecord {
  executionCount: number;
  outputs: NotebookOutput[];
}

/** The executed notebook, from the file as read and what the run gave. */
export function executedNotebook(
  original: Record<string, unknown>,
  records: ReadonlyMap<string, CellRecord>,
  state: WorkflowState,
  kernel: { kernelspec: JsonValue; languageInfo: JsonValue },
  report?: RunReport,
): Record<string, unknown> {
  const notebook = JSON.parse(JSON.stringify(original)) as {
    cells: Record<string, unknown>[];
    metadata?: Record<string, unknown>;
  };
  const steps = new Map(state.workflow.steps.map((s) => [s.id, s]));
  const snapshots: CellSnapshot[] = [];
  notebook.cells.forEach((cell, index) => {
    const id = typeof cell.id === 'string' && cell.id !== '' ? cell.id : `cell-${index + 1}`;
    if (cell.cell_type === 'code') {
      const record = records.get(id);
      cell.outputs = record?.outputs ?? [];
      cell.execution_count = record?.executionCount ?? null;
      const metadata = (cell.metadata ?? {}) as Record<string, unknown>;
      const previous = readCellMetadata(metadata[NOTEBOOK_METADATA_KEY]);
      const step = steps.get(id);
      const report = state.statuses[id];
      const next = step
        ? metadataFromStep(step, previous, report)
        : previous && report
          ? applyStepReport(previous, report)
          : previous;
      if (next) metadata[NOTEBOOK_METADATA_KEY] = canonicalCellMetadata(next);
      cell.metadata = metadata;
    }
    snapshots.push({
      id,
      cellType: String(cell.cell_type),
      metadata: (cell.metadata as Record<string, unknown> | undefined)?.[NOTEBOOK_METADATA_KEY],
    });
  });
  const metadata = (notebook.metadata ?? {}) as Record<string, unknown>;
  const saved = readNotebookWorkflow(metadata[NOTEBOOK_METADATA_KEY]);
  const document = workflowFromCells(snapshots, saved, { definitions: state.definitions });
  if (document.steps.length > 0 || saved) {
    const previous = metadata[NOTEBOOK_METADATA_KEY];
    const history = readRunHistory(previous);
    let fancyflow: Record<string, unknown> = { ...document };
    if (history.length > 0) fancyflow[RUN_HISTORY_KEY] = history;
    if (report) fancyflow = appendRun(fancyflow, historyRunOf(report));
    metadata[NOTEBOOK_METADATA_KEY] = fancyflow;
  }
  metadata.kernelspec = kernel.kernelspec;
  metadata.language_info = kernel.languageInfo;
  notebook.metadata = metadata;
  return notebook;
}

/** A value with its object keys sorted, as nbformat writes notebooks. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    out[key] = sortedKeys((value as Record<string, unknown>)[key]);
  }
  return out;
}

/** Writes a notebook atomically, as Jupyter writes one (sorted keys, one-space indent). */
export function writeNotebookFile(file: string, notebook: Record<string, unknown>): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(temp, JSON.stringify(sortedKeys(notebook), null, 1) + '\n');
  renameSync(temp, file);
}
