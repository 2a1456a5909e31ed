/**
 * The services the fancyflow plugins provide to each other (and to other extensions), as
 * JupyterLab tokens: `I`-prefixed interfaces with a Token of the same name.
 */
import type { NotebookPanel } from '@jupyterlab/notebook';
import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';
import type { JsonValue } from '../core/errors';
import type { CellMetadata } from '../core/format';
import type { RunStatus } from '../core/orchestrator';
import type { StepDescriptor } from '../core/step';
import type { WorkflowState } from '../protocol/messages';
import type { KernelConnection } from './kernel-connection';
import type { RunPlan, RunRequest } from './run-plan';
import type { WorkflowModel } from './workflow-model';

/** The user's settings of the extension (`schema/lab/notebook.json`). */
export interface IFancyflowSettings {
  /** The kernel spec name of the fancyflow kernel. Default `fancyflow`. */
  kernelName: string;
  /** Where the kernel keeps step outputs: `memory`, a folder path or `s3://bucket/prefix`. Default `memory`. */
  defaultStore: string;
  /**
   * The queue step cells run on (`redis://host:port`, with workers started by `fancyflow worker`),
   * `none` (in the kernel), or `''`: whatever the kernel was started with (`FANCYFLOW_QUEUE`, else
   * in the kernel). Default `''`.
   */
  queue: string;
  /** Run a step cell as soon as it is inserted from the palette. Default false. */
  runOnInsert: boolean;
  /** Milliseconds a request to the kernel waits for its answer. Default 30 000. */
  requestTimeoutMs: number;
}

/** A cell a step input can be wired to, for the pickers. */
export interface ICellChoice {
  /** The cell id. */
  cellId: string;
  /** What code writes in `cell('…')`: the readable name, else the id. */
  reference: string;
  /** What the picker shows. */
  label: string;
  /** True when a step cell produces it. */
  isStep: boolean;
  /** True when the cell fits the input the choice is for (always true without an input). */
  fits: boolean;
  /**
   * Why it does not fit (`a Vega-Lite v5 spec (json), not a table`, `missing column Horsepower`),
   * or a note on one that does (`not run yet`).
   */
  reason?: string;
}

/** Where and how to insert a step. */
export interface IInsertOptions {
  /** Argument → cell reference (name or id). Default: each input wired to the previous step. */
  wiring?: Record<string, string>;
  /** The config (defaults apply to fields left out). Default `{}`. */
  config?: Record<string, JsonValue>;
  /** Insert below this cell index. Default: below the active cell. */
  belowIndex?: number;
  /** Run the new cell. Default: the `runOnInsert` setting. */
  run?: boolean;
}

/**
 * What a run from the panel executes: all step cells, from a step on, one step, the given cells,
 * or the stale steps (those whose last run no longer holds: never run, edited, or downstream of a
 * change).
 */
export type RunMode = 'all' | 'from' | 'step' | 'cells' | 'stale';

/** How a run goes. */
export interface IRunOptions {
  /**
   * Recomputes the target steps even when the cache holds their output (the panel's Run this
   * step with Shift). Default false.
   */
  force?: boolean;
}

/** How a run from the panel ended. */
export interface IRunResult {
  /** `completed`: every cell ran; `failed`: a cell failed (the rest did not run); `cancelled`. */
  status: RunStatus;
  /** How many cells the run executed (or would have). */
  cells: number;
  /** The cells that failed, with a readable label (the step's name) and the error. */
  failed: { cellId: string; label: string; message: string }[];
  /** True when the user declined to run untrusted cells. */
  declined?: boolean;
}

/** What the user is asked before a run executes cells JupyterLab does not trust. */
export interface IRunConfirmation {
  /** The notebook's path. */
  notebook: string;
  /** The untrusted cells the run would execute, each as `[index] first line`. */
  cells: string[];
  /** How many cells the run executes in all. */
  total: number;
}

/** One notebook's fancyflow state and actions. */
export interface INotebookFlow {
  readonly panel: NotebookPanel;
  readonly connection: KernelConnection;
  readonly workflow: WorkflowModel;
  /** The steps registered in the kernel (empty without a fancyflow kernel). */
  readonly steps: readonly StepDescriptor[];
  /** Emitted when {@link steps} changes. */
  readonly stepsChanged: ISignal<INotebookFlow, readonly StepDescriptor[]>;
  /** The kernel's latest state (cells, names), when connected. */
  readonly kernelState: WorkflowState | undefined;
  /** A problem to show above the workflow (the saved workflow did not load, a run failed to start). */
  readonly problem: string | undefined;
  /** Emitted when the step metadata of a cell changed (form, code or a run). */
  readonly metadataChanged: ISignal<INotebookFlow, string>;
  /** The step metadata of a cell. */
  stepMetadata(cellId: string): CellMetadata | undefined;
  /**
   * Cells that a step inserted below cell `index` (or edited at `index`) can be wired to, nearest
   * first; with `input`, each says whether it fits that input's contract (those that fit first).
   */
  cellChoices(index: number, input?: StepDescriptor['inputs'][string]): ICellChoice[];
  /** Inserts a step cell; resolves with its cell id. */
  insertStep(slug: string, options?: IInsertOptions): Promise<string>;
  /** Sets a step cell's config (from the form): code and metadata follow. */
  setStepConfig(cellId: string, config: Record<string, JsonValue>): void;
  /** Wires one input of a step cell to a cell reference: code and metadata follow. */
  setStepWiring(cellId: string, argument: string, reference: string): void;
  /**
   * Runs the workflow by executing its cells in the notebook (as Shift-Enter does): all step
   * cells, from a step on, one step, or the given cells, with the cells above them that this
   * kernel has not run yet. Asks first when a cell to run is not trusted.
   */
  run(
    mode: RunMode,
    target?: string | readonly string[],
    options?: IRunOptions,
  ): Promise<IRunResult>;
  /** The step ids `Run stale` would run, in order. */
  staleSteps(): string[];
  /** What a run would execute. */
  plan(request: RunRequest): RunPlan;
  /** Slug → the cell known to define the step (from the kernel, else the saved document). */
  definitionsOf(slugs: readonly string[]): Record<string, string>;
  /** A cell for people: `[3] name: first line`. */
  describeCell(cellId: string): string;
  /** Interrupts the kernel (the notebook's Interrupt): the running step and the run stop. */
  cancel(): Promise<boolean>;
  /** Asks the kernel for its steps and state again. */
  refresh(): Promise<void>;
}

/** The notebooks' flows, and the one of the current notebook. */
export interface INotebookFlows {
  /** The flow of the current notebook (null when no notebook is current). */
  readonly current: INotebookFlow | null;
  /** Emitted when the current notebook changes. */
  readonly currentChanged: ISignal<INotebookFlows, INotebookFlow | null>;
  /** The flow of a notebook panel. */
  get(panel: NotebookPanel): INotebookFlow | undefined;
  /** The settings in force. */
  readonly settings: IFancyflowSettings;
}

/** The notebooks' flows (provided by `fancyflow:notebook`). */
export const INotebookFlows = new Token<INotebookFlows>(
  'fancyflow:INotebookFlows',
  'The fancyflow state of each notebook: kernel connection, workflow, steps.',
);
