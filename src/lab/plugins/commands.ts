/** `fancyflow:commands`: the `fancyflow:*` commands, in the command palette too. */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { CommandIDs, registerCommands } from '../commands';
import { INotebookFlows } from '../tokens';

/** The commands plugin. */
export const commandsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'fancyflow:commands',
  description: 'Commands to run, cancel and edit a notebook’s workflow.',
  autoStart: true,
  requires: [INotebookFlows],
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    flows: INotebookFlows,
    palette: ICommandPalette | null,
  ): void => {
    registerCommands(app, flows);
    if (palette) {
      const category = 'fancyflow';
      for (const command of [
        CommandIDs.runAll,
        CommandIDs.runFrom,
        CommandIDs.runStep,
        CommandIDs.cancel,
        CommandIDs.changeKernel,
        CommandIDs.showPalette,
        CommandIDs.showWorkflow,
        CommandIDs.refresh,
      ]) {
        palette.addItem({ command, category });
      }
    }
  },
};
