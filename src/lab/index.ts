/**
 * The fancyflow JupyterLab extension: the step palette, step cells with config forms and status
 * badges, the workflow panel, and the notebook metadata that makes a notebook's workflow
 * shareable. Browser only; imports only `src/core` and `src/protocol` of this package.
 */
import type { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { commandsPlugin } from './plugins/commands';
import { notebookPlugin } from './plugins/notebook';
import { palettePlugin } from './plugins/palette';
import { workflowPlugin } from './plugins/workflow';

export { CommandIDs } from './commands';
export { INotebookFlows } from './tokens';
export type { IFancyflowSettings, INotebookFlow, ICellChoice, IInsertOptions } from './tokens';

/** Every plugin of the extension. */
const plugins: JupyterFrontEndPlugin<unknown>[] = [
  notebookPlugin,
  palettePlugin,
  workflowPlugin,
  commandsPlugin,
];

export default plugins;
