/** `fancyflow:workflow`: the workflow panel in the right sidebar. */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ILayoutRestorer } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { changeKernel, runWithFeedback, selectStep } from '../commands';
import { workflowIcon } from '../icons';
import { messageOf } from '../notebook-flow';
import { INotebookFlows } from '../tokens';
import { WorkflowPanel } from '../workflow-panel';

/** The workflow panel plugin. */
export const workflowPlugin: JupyterFrontEndPlugin<void> = {
  id: 'fancyflow:workflow',
  description:
    'The workflow panel: steps in order with live statuses, run all / from here / one step, cancel.',
  autoStart: true,
  requires: [INotebookFlows],
  optional: [ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    flows: INotebookFlows,
    restorer: ILayoutRestorer | null,
  ): void => {
    const panel = new WorkflowPanel(flows, {
      run: (mode, stepId, options) => {
        if (flows.current) void runWithFeedback(flows.current, mode, stepId, options);
      },
      cancel: () => {
        flows.current
          ?.cancel()
          .catch((e: unknown) => Notification.error(messageOf(e), { autoClose: 5000 }));
      },
      changeKernel: () => {
        if (flows.current) void changeKernel(flows.current, flows.settings.kernelName);
      },
      selectStep: (stepId) => {
        if (flows.current) selectStep(flows.current, stepId);
      },
    });
    panel.title.icon = workflowIcon;
    app.shell.add(panel, 'right', { rank: 650 });
    restorer?.add(panel, panel.id);
  },
};
