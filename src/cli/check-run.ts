/**
 * `fancyflow run notebook.ipynb --check`: a reproducibility check. The notebook re-runs in a fresh
 * store; every step whose output fingerprint differs from the one its cell recorded (or that no
 * longer completes) is named, and the exit code is 1. Fingerprints recorded by fancyflow before
 * 128-bit ones cannot be compared: those steps are named and the exit code is 2.
 */
import {
  NOTEBOOK_METADATA_KEY,
  hasOutput,
  isCurrentDigest,
  stepLabel,
  type RunReport,
} from '../core';
import { readCellMetadata } from '../core/notebook-metadata';
import type { NotebookFile } from './notebook-file';
import { ExitCode } from './report-error';

/** A step cell's recorded output fingerprint. */
export interface RecordedOutput {
  stepId: string;
  slug: string;
  name?: string;
  output: string;
}

/**
 * The output fingerprints the notebook's step cells recorded (their `record.output`); cells
 * without a valid record are left out (a forged record is not one).
 */
export function recordedOutputs(notebook: NotebookFile): RecordedOutput[] {
  const out: RecordedOutput[] = [];
  for (const cell of notebook.cells) {
    if (cell.type !== 'code') continue;
    const metadata = readCellMetadata(cell.metadata[NOTEBOOK_METADATA_KEY]);
    const output = metadata?.record?.output;
    if (!metadata || output === undefined || !hasOutput(metadata.record?.status)) continue;
    out.push({
      stepId: cell.id,
      slug: metadata.slug,
      ...(metadata.name === undefined ? {} : { name: metadata.name }),
      output,
    });
  }
  return out;
}

/** What the check found: one line per step that differs, and the exit code. */
export function checkFingerprints(
  recorded: readonly RecordedOutput[],
  report: RunReport,
): { lines: string[]; exitCode: number; differs: string[] } {
  if (recorded.length === 0) {
    return {
      lines: [
        'INVALID_DOCUMENT: --check: no step cell records an output fingerprint (run the notebook with fancyflow, in JupyterLab or with -o, and save it first)',
      ],
      exitCode: ExitCode.INVALID_INPUT,
      differs: [],
    };
  }
  const byId = new Map(report.steps.map((s) => [s.stepId, s]));
  const lines: string[] = [];
  const differs: string[] = [];
  const retired: string[] = [];
  for (const want of recorded) {
    const label = stepLabel({ id: want.stepId, slug: want.slug, name: want.name });
    if (!isCurrentDigest(want.output)) {
      retired.push(want.stepId);
      lines.push(
        `check: step ${label} recorded output ${want.output}, a 64-bit fingerprint of an earlier fancyflow that this version cannot compare (record again: fancyflow run <notebook> -o <notebook>)`,
      );
      continue;
    }
    const got = byId.get(want.stepId);
    const output = got && hasOutput(got.status) ? got.record?.output : undefined;
    if (output === want.output) continue;
    differs.push(want.stepId);
    lines.push(
      output === undefined
        ? `check: step ${label} did not complete (${got?.status ?? 'not run'}); it recorded output ${want.output}`
        : `check: step ${label}: output fingerprint ${output} differs from the recorded ${want.output}`,
    );
  }
  if (differs.length > 0) return { lines, exitCode: ExitCode.FAILED, differs };
  if (retired.length > 0) return { lines, exitCode: ExitCode.INVALID_INPUT, differs };
  lines.push(
    `check: ${recorded.length} step${recorded.length === 1 ? '' : 's'} reproduce their recorded output fingerprints`,
  );
  return { lines, exitCode: ExitCode.OK, differs };
}
