/**
 * `fancyflow:notebook`: follows every notebook (kernel connection, workflow, metadata sync, status
 * badges, drop target) and provides {@link INotebookFlows}. Settings: `schema/lab/notebook.json`.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { installDropTarget } from '../drop-target';
import { NotebookFlows, readSettings } from '../notebook-flows';
import { INotebookFlows } from '../tokens';

/** The notebook plugin. */
export const notebookPlugin: JupyterFrontEndPlugin<INotebookFlows> = {
  id: 'fancyflow:notebook',
  description:
    'Follows notebooks: the fancyflow kernel comm, the workflow, cell metadata and status badges.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ISettingRegistry],
  provides: INotebookFlows,
  activate: (
    _app: JupyterFrontEnd,
    tracker: INotebookTracker,
    settingRegistry: ISettingRegistry | null,
  ): INotebookFlows => {
    const flows = new NotebookFlows(tracker);
    tracker.forEach((panel) => installDropTarget(panel, flows));
    tracker.widgetAdded.connect((_, panel) => installDropTarget(panel, flows));
    if (settingRegistry) {
      settingRegistry.load(notebookPlugin.id).then(
        (settings) => {
          const apply = () => {
            flows.settings = readSettings(settings.composite as Record<string, unknown>);
          };
          apply();
          settings.changed.connect(apply);
        },
        (e: unknown) => {
          // the defaults stay in force; the settings editor shows the schema problem
          console.warn('fancyflow: settings could not be loaded, using the defaults', e);
        },
      );
    }
    return flows;
  },
};
