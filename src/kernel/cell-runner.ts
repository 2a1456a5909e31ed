/**
 * Running one notebook cell, the same way for the kernel (an execute request) and for a headless
 * `fancyflow run notebook.ipynb`: tslab type-checks and runs the code, the session records the
 * value (a WorkflowStep runs as the cell's step; a data value becomes the cell's FancyCell) and
 * the result is the MIME bundle the cell shows. Charts get a static SVG next to their spec.
 */
import type { StepReport } from '../core/orchestrator';
import { lastExpressionName } from './cell-code';
import { vegaLiteToPictures } from './chart-picture';
import { cellBundle, valueBundle, type MimeBundle } from './displays';
import { thrownError, type ExecuteEngine, type ExecutionError } from './engine';
import type { NotebookSession } from './session';

/** What running one cell gave. */
export interface CellRun {
  /** Why the cell failed (its code threw or did not type-check, or its step did not complete). */
  error?: ExecutionError;
  /** The cell's result bundle (execute_result), when it has a value to show. */
  result?: MimeBundle;
  /** Lines for the cell's stderr (a value that could not be stored, a chart not drawn). */
  notes: string[];
  /** The step the cell ran, when its value was a WorkflowStep. */
  step?: StepReport;
}

const VEGA_LITE = /^application\/vnd\.vegalite\.v\d+\+json$/;

/** Runs cells of one notebook session. */
export class CellRunner {
  constructor(
    readonly engine: ExecuteEngine,
    readonly session: NotebookSession,
  ) {}

  /**
   * Runs `code` as cell `cellId` (its `count`-th execution). A silent run only executes (no
   * value recorded, no result). Never throws: failures are the outcome.
   */
  async run(
    code: string,
    cellId: string,
    count: number,
    options: { silent?: boolean } = {},
  ): Promise<CellRun> {
    this.session.beginCell(cellId, count);
    try {
      const outcome = await this.engine.execute(code);
      if (outcome.status === 'error') return { error: outcome.error, notes: [] };
      if (options.silent) return { notes: [] };
      const name = outcome.hasValue ? lastExpressionName(code) : undefined;
      const recorded = await this.session.recordCell(cellId, outcome.hasValue, outcome.value, name);
      switch (recorded.type) {
        case 'none':
          return { notes: [] };
        case 'error':
          return {
            error: thrownError(recorded.error),
            notes: [],
            ...(recorded.step ? { step: recorded.step } : {}),
          };
        case 'value': {
          const notes = recorded.reason ? [`Not stored as a cell: ${recorded.reason.message}`] : [];
          return { result: await withPictures(valueBundle(recorded.value), notes), notes };
        }
        case 'cell': {
          const notes: string[] = [];
          const result = await withPictures(
            cellBundle(recorded.value, recorded.cell, recorded.step),
            notes,
          );
          return { result, notes, ...(recorded.step ? { step: recorded.step } : {}) };
        }
      }
    } catch (e) {
      return { error: thrownError(e), notes: [] };
    } finally {
      this.session.endCell();
    }
  }
}

/**
 * A bundle carrying a Vega-Lite spec shows the chart: the interactive renderer gets the spec,
 * static SVG and PNG pictures travel with it for viewers without Vega, and the HTML card (which
 * JupyterLab would rank above the chart) is dropped.
 */
async function withPictures(bundle: MimeBundle, notes: string[]): Promise<MimeBundle> {
  const mime = Object.keys(bundle.data).find((m) => VEGA_LITE.test(m));
  if (!mime) return bundle;
  const data = { ...bundle.data };
  delete data['text/html'];
  const pictures = await vegaLiteToPictures(data[mime] as Record<string, unknown>);
  if (pictures.ok) {
    data['image/svg+xml'] = pictures.svg;
    data['image/png'] = pictures.png;
  } else {
    notes.push(`The chart has no static picture: ${pictures.reason}`);
  }
  return { data, metadata: bundle.metadata };
}
