/**
 * Dropping a step from the palette onto a notebook inserts it below the cell it was dropped on
 * (above the first cell: at the top). Native HTML drag and drop, so the notebook's own cell
 * dragging (lumino drags) is left alone.
 */
import type { NotebookPanel } from '@jupyterlab/notebook';
import { Notification } from '@jupyterlab/apputils';
import { messageOf } from './notebook-flow';
import { STEP_DRAG_MIME } from './palette-widget';
import type { INotebookFlows } from './tokens';

const DROP_CLASS = 'jp-fancyflow-mod-dropTarget';

/** The index of the cell a step dropped at `clientY` goes below (-1: above every cell). */
export function dropIndex(tops: readonly number[], clientY: number): number {
  let index = -1;
  for (let i = 0; i < tops.length; i++) if (tops[i]! <= clientY) index = i;
  return index;
}

/** Makes a notebook panel accept steps dragged from the palette. */
export function installDropTarget(panel: NotebookPanel, flows: INotebookFlows): void {
  const node = panel.content.node;
  const accepts = (e: DragEvent) => e.dataTransfer?.types.includes(STEP_DRAG_MIME) === true;
  node.addEventListener('dragover', (e) => {
    if (!accepts(e)) return;
    e.preventDefault();
    e.dataTransfer!.dropEffect = 'copy';
    node.classList.add(DROP_CLASS);
  });
  node.addEventListener('dragleave', (e) => {
    if (e.target === node) node.classList.remove(DROP_CLASS);
  });
  node.addEventListener('drop', (e) => {
    node.classList.remove(DROP_CLASS);
    if (!accepts(e)) return;
    e.preventDefault();
    e.stopPropagation();
    const slug = e.dataTransfer!.getData(STEP_DRAG_MIME);
    const flow = flows.get(panel);
    if (!flow || !slug) return;
    const tops = panel.content.widgets.map((w) => w.node.getBoundingClientRect().top);
    flow.insertStep(slug, { belowIndex: dropIndex(tops, e.clientY) }).catch((error: unknown) => {
      Notification.error(messageOf(error), { autoClose: 5000 });
    });
  });
}
