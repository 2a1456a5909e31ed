/** `fancyflow:palette`: the step palette in the left sidebar. */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ILayoutRestorer } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { changeKernel } from '../commands';
import { paletteIcon } from '../icons';
import { PaletteWidget } from '../palette-widget';
import { INotebookFlows } from '../tokens';

/** The palette plugin. */
export const palettePlugin: JupyterFrontEndPlugin<void> = {
  id: 'fancyflow:palette',
  description: 'The step palette: the kernel’s steps, searchable, inserted as step cells.',
  autoStart: true,
  requires: [INotebookFlows],
  optional: [ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    flows: INotebookFlows,
    restorer: ILayoutRestorer | null,
  ): void => {
    const widget = new PaletteWidget(flows, {
      changeKernel: () => {
        if (flows.current) void changeKernel(flows.current, flows.settings.kernelName);
      },
      showError: (message) => Notification.error(message, { autoClose: 5000 }),
    });
    widget.title.icon = paletteIcon;
    app.shell.add(widget, 'left', { rank: 650 });
    restorer?.add(widget, widget.id);
  },
};
