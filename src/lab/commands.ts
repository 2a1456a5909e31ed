/**
 * The extension's commands (`fancyflow:*`): run all / from a step / one step, cancel, insert a
 * step, change the kernel to fancyflow, show the sidebars. Each finds the current notebook's flow
 * and says plainly when there is none.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import type { JsonValue } from '../core/errors';
import { NOTEBOOK_METADATA_KEY } from '../core/format';
import { readCellMetadata } from './cell-metadata';
import { messageOf } from './notebook-flow';
import type { INotebookFlow, INotebookFlows, IRunOptions, RunMode } from './tokens';

/** The command ids. */
// eslint-disable-next-line @typescript-eslint/no-namespace -- JupyterLab's convention for command ids
export namespace CommandIDs {
  /** Runs the whole workflow of the current notebook. */
  export const runAll = 'fancyflow:run-all';
  /** Runs from a step (arg `stepId`, default: the active cell's step) onwards. */
  export const runFrom = 'fancyflow:run-from';
  /** Runs one step (arg `stepId`, default: the active cell's step; arg `force`: recompute). */
  export const runStep = 'fancyflow:run-step';
  /** Runs the stale steps (never run, edited, or downstream of an edit) of the current notebook. */
  export const runStale = 'fancyflow:run-stale';
  /** Cancels the run going on. */
  export const cancel = 'fancyflow:cancel';
  /** Inserts a step cell (args `slug`, optional `wiring`, `config`). */
  export const insertStep = 'fancyflow:insert-step';
  /** Changes the current notebook's kernel to the fancyflow kernel. */
  export const changeKernel = 'fancyflow:change-kernel';
  /** Shows the step palette. */
  export const showPalette = 'fancyflow:show-palette';
  /** Shows the workflow panel. */
  export const showWorkflow = 'fancyflow:show-workflow';
  /** Asks the kernel for its steps and workflow again. */
  export const refresh = 'fancyflow:refresh';
}

/** The id of the palette widget and of the workflow panel (for `shell.activateById`). */
export const PALETTE_ID = 'jp-fancyflow-palette';
/** The id of the workflow panel widget. */
export const WORKFLOW_ID = 'jp-fancyflow-workflow';

function activeStepId(flow: INotebookFlow): string | undefined {
  const cell = flow.panel.content.activeCell;
  if (!cell || cell.model.type !== 'code') return undefined;
  return readCellMetadata(cell.model.getMetadata(NOTEBOOK_METADATA_KEY))?.stepId;
}

/** Selects the cell of a step and scrolls it into view. */
export function selectStep(flow: INotebookFlow, stepId: string): void {
  const notebook = flow.panel.content;
  const index = notebook.widgets.findIndex((w) => w.model.id === stepId);
  if (index < 0) return;
  notebook.activeCellIndex = index;
  void notebook.scrollToItem(index, 'smart');
}

/** Runs and reports the outcome as a notification (a failed run is a status, not an exception). */
export async function runWithFeedback(
  flow: INotebookFlow,
  mode: RunMode,
  target?: string | readonly string[],
  options?: IRunOptions,
): Promise<void> {
  try {
    const result = await flow.run(mode, target, options);
    if (result.status === 'failed') {
      const failed = result.failed[0];
      Notification.warning(
        failed
          ? `The run stopped at ${failed.label}: ${firstLine(failed.message)}`
          : 'The run stopped: a cell did not run.',
        { autoClose: 6000 },
      );
    } else if (result.status === 'cancelled' && !result.declined) {
      Notification.info('The run was cancelled.', { autoClose: 3000 });
    }
  } catch (e) {
    Notification.error(messageOf(e), { autoClose: 8000 });
  }
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** Changes the notebook's kernel to the fancyflow kernel. */
export async function changeKernel(flow: INotebookFlow, kernelName: string): Promise<void> {
  try {
    await flow.panel.sessionContext.changeKernel({ name: kernelName });
  } catch (e) {
    Notification.error(`Could not start the fancyflow kernel: ${messageOf(e)}`, {
      autoClose: 8000,
    });
  }
}

/** Registers the commands. */
export function registerCommands(app: JupyterFrontEnd, flows: INotebookFlows): void {
  const { commands, shell } = app;
  const connected = () => flows.current?.connection.status.kind === 'connected';
  const idle = () => connected() && !flows.current?.workflow.running;
  const current = (): INotebookFlow | undefined => {
    const flow = flows.current;
    if (!flow) Notification.info('Open a notebook first.', { autoClose: 3000 });
    return flow ?? undefined;
  };
  const stepArg = (flow: INotebookFlow, args: ReadonlyPartialJSONObject): string | undefined =>
    typeof args['stepId'] === 'string' ? args['stepId'] : activeStepId(flow);

  commands.addCommand(CommandIDs.runAll, {
    label: 'Run Workflow',
    caption: 'Run every step of the notebook’s workflow in order',
    isEnabled: idle,
    execute: () => {
      const flow = current();
      return flow && runWithFeedback(flow, 'all');
    },
  });
  commands.addCommand(CommandIDs.runStale, {
    label: 'Run Stale Steps',
    caption:
      'Run the steps whose last run no longer holds (never run, edited, or downstream of an edit)',
    isEnabled: () => idle() && (flows.current?.staleSteps().length ?? 0) > 0,
    execute: () => {
      const flow = current();
      return flow && runWithFeedback(flow, 'stale');
    },
  });
  for (const [id, mode, label] of [
    [CommandIDs.runFrom, 'from', 'Run Workflow From This Step'],
    [CommandIDs.runStep, 'step', 'Run This Step Only'],
  ] as const) {
    commands.addCommand(id, {
      label,
      isEnabled: idle,
      execute: (args) => {
        const flow = current();
        if (!flow) return;
        const stepId = stepArg(flow, args);
        if (!stepId) {
          Notification.info('The active cell is not a step cell.', { autoClose: 3000 });
          return;
        }
        return runWithFeedback(flow, mode, stepId, { force: args['force'] === true });
      },
    });
  }
  commands.addCommand(CommandIDs.cancel, {
    label: 'Cancel Workflow Run',
    isEnabled: () => connected() && flows.current?.workflow.running === true,
    execute: async () => {
      const flow = current();
      if (!flow) return;
      try {
        await flow.cancel();
      } catch (e) {
        Notification.error(messageOf(e), { autoClose: 5000 });
      }
    },
  });
  commands.addCommand(CommandIDs.insertStep, {
    label: (args) =>
      typeof args['slug'] === 'string' ? `Insert Step ${args['slug']}` : 'Insert Step',
    isEnabled: connected,
    execute: async (args) => {
      const flow = current();
      const slug = args['slug'];
      if (!flow || typeof slug !== 'string') return;
      try {
        return await flow.insertStep(slug, {
          ...(isRecord(args['wiring']) ? { wiring: args['wiring'] as Record<string, string> } : {}),
          ...(isRecord(args['config'])
            ? { config: args['config'] as Record<string, JsonValue> }
            : {}),
        });
      } catch (e) {
        Notification.error(messageOf(e), { autoClose: 5000 });
      }
    },
  });
  commands.addCommand(CommandIDs.changeKernel, {
    label: 'Change Kernel to TypeScript (fancyflow)',
    isEnabled: () => flows.current !== null,
    execute: () => {
      const flow = current();
      return flow && changeKernel(flow, flows.settings.kernelName);
    },
  });
  commands.addCommand(CommandIDs.showPalette, {
    label: 'Show Step Palette',
    execute: () => shell.activateById(PALETTE_ID),
  });
  commands.addCommand(CommandIDs.showWorkflow, {
    label: 'Show Workflow Panel',
    execute: () => shell.activateById(WORKFLOW_ID),
  });
  commands.addCommand(CommandIDs.refresh, {
    label: 'Reload Steps and Workflow From the Kernel',
    isEnabled: connected,
    execute: async () => {
      const flow = current();
      if (!flow) return;
      try {
        await flow.refresh();
      } catch (e) {
        Notification.error(messageOf(e), { autoClose: 5000 });
      }
    },
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
