/**
 * Where a notebook's link to a fancyflow kernel stands, and what the sidebar says about it. Every
 * state a notebook can be in (no kernel, another kernel, starting, restarting, dead, connected)
 * has a plain sentence; none of them is an error the user has to dismiss.
 */

/** The kernel spec name of the fancyflow kernel ("TypeScript (fancyflow)"). */
export const FANCYFLOW_KERNEL_NAME = 'fancyflow';

/** The state of a notebook's link to the fancyflow kernel. */
export type ConnectionStatus =
  /** No notebook is active. */
  | { kind: 'no-notebook' }
  /** The notebook has no kernel (none chosen, or shut down). */
  | { kind: 'no-kernel' }
  /** A kernel is starting (or the session is being set up). */
  | { kind: 'starting' }
  /** The notebook's kernel is not the fancyflow kernel. */
  | { kind: 'other-kernel'; kernelName: string; displayName: string }
  /** The fancyflow kernel runs; the comm is being opened. */
  | { kind: 'connecting' }
  /** The comm is open and the kernel answered `hello`. */
  | { kind: 'connected'; kernelVersion: string; store: string }
  /** The kernel is restarting. */
  | { kind: 'restarting' }
  /** The kernel died (or its process is gone). */
  | { kind: 'dead' }
  /** The kernel runs but does not answer the fancyflow protocol. */
  | { kind: 'unavailable'; reason: string };

/** The kind of a {@link ConnectionStatus}. */
export type ConnectionKind = ConnectionStatus['kind'];

/** A plain sentence for the sidebar (undefined when connected: the sidebar shows the workflow). */
export function describeConnection(status: ConnectionStatus): string | undefined {
  switch (status.kind) {
    case 'no-notebook':
      return 'Open a notebook to see its steps and workflow.';
    case 'no-kernel':
      return 'This notebook has no kernel. Start the TypeScript (fancyflow) kernel to use steps.';
    case 'starting':
      return 'The kernel is starting…';
    case 'other-kernel':
      return `This notebook runs the ${status.displayName || status.kernelName} kernel, not TypeScript (fancyflow). Steps need the fancyflow kernel.`;
    case 'connecting':
      return 'Connecting to the fancyflow kernel…';
    case 'connected':
      return undefined;
    case 'restarting':
      return 'The kernel is restarting. The workflow is kept in the notebook and can be run again.';
    case 'dead':
      return 'The kernel has died. Restart it to run the workflow again; the notebook keeps the workflow.';
    case 'unavailable':
      return `The kernel does not answer the fancyflow protocol (${status.reason}).`;
  }
}

/** True when the sidebar should offer "Change kernel to TypeScript (fancyflow)". */
export function canOfferKernelChange(status: ConnectionStatus): boolean {
  return status.kind === 'no-kernel' || status.kind === 'other-kernel' || status.kind === 'dead';
}

/** True when requests can be sent. */
export function isConnected(
  status: ConnectionStatus,
): status is Extract<ConnectionStatus, { kind: 'connected' }> {
  return status.kind === 'connected';
}
