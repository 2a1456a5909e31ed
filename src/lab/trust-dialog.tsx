/**
 * The question a run asks before it executes cells JupyterLab does not trust (a notebook written
 * by someone else, not signed by this server): it lists exactly the cells that would run.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';
import type { IRunConfirmation } from './tokens';

/** Shows the question; resolves true when the user chooses to run. */
export async function confirmUntrustedRun(confirmation: IRunConfirmation): Promise<boolean> {
  const { cells, total, notebook } = confirmation;
  const body = (
    <div className="jp-fancyflow-TrustDialog">
      <p>
        <strong>{notebook}</strong> is not trusted: it was not last saved by you on this server.
        This run executes the code of{' '}
        {cells.length === 1 ? 'this cell' : `these ${cells.length} cells`}
        {total > cells.length ? ` (and ${total - cells.length} cells you ran before)` : ''}:
      </p>
      <ul className="jp-fancyflow-TrustDialog-cells">
        {cells.map((line, i) => (
          <li key={i}>
            <code>{line}</code>
          </li>
        ))}
      </ul>
      <p>Read them first. Cells you run become trusted; the notebook’s Trust command trusts all.</p>
    </div>
  );
  const result = await showDialog({
    title: 'Run code from an untrusted notebook?',
    body,
    buttons: [
      Dialog.cancelButton({ label: 'Cancel' }),
      Dialog.warnButton({ label: cells.length === 1 ? 'Run 1 cell' : `Run ${total} cells` }),
    ],
    defaultButton: 0,
  });
  return result.button.accept;
}
