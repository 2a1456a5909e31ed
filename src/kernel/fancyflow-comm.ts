/**
 * The `fancyflow` comm target: the JupyterLab extension's line to the notebook session. Requests
 * are zod-checked (`src/protocol/messages.ts`) and answered with one reply each; runs stream
 * `event` pushes; registry and workflow changes made by cells are pushed once per execute, the
 * workflow's as a patch (what changed) to a front end that applies them. No request runs code:
 * steps run as their cells execute.
 */
import { toFancyflowError, type FancyflowError } from '../core/errors';
import {
  COMM_TARGET,
  PROTOCOL_VERSION,
  type ParsedRequest,
  type Push,
  type Reply,
  type ResultMap,
  type WorkflowState,
} from '../protocol/messages';
import { SentState } from '../protocol/state-patch';
import { parseCommRequest } from './comm-request';
import type { Comm, CommManager } from './comms';
import { currentOutput } from './output';
import { kernelVersion, type NotebookSession } from './session';
import type { JupyterMessage } from './wire';

/** Serves the `fancyflow` comm target for one session. */
export class FancyflowComms {
  private registryDirty = false;
  private workflowDirty = false;
  private executing = false;
  private flushTimer: NodeJS.Timeout | undefined;
  /** Comms whose front end applies `workflow-patch` (said so in `hello`). */
  private readonly patching = new WeakSet<Comm>();
  /** The state last sent on each of those comms, once one was. */
  private readonly sent = new WeakMap<Comm, SentState>();

  constructor(
    private readonly session: NotebookSession,
    private readonly comms: CommManager,
  ) {
    comms.registerTarget(COMM_TARGET, (comm, data, request) => this.open(comm, data, request));
    session.registry.subscribe(() => this.markDirty('registry'));
    session.onWorkflowChanged(() => this.markDirty('workflow'));
    session.onRunEvent((event) => this.push({ v: PROTOCOL_VERSION, type: 'event', event }));
  }

  private open(comm: Comm, data: unknown, request: JupyterMessage): void {
    comm.onMessage((message, req) => void this.handle(comm, message, req));
    // A comm_open may carry a first request (saves a round trip).
    if (typeof data === 'object' && data !== null && 'type' in data)
      void this.handle(comm, data, request);
  }

  /** Sends a push to every open fancyflow comm. */
  private push(message: Push, parent?: JupyterMessage): void {
    const comms = this.comms.list(COMM_TARGET);
    if (comms.length === 0) return;
    const from = parent ?? currentOutput()?.parent;
    for (const comm of comms) comm.send(message, from);
  }

  private markDirty(what: 'registry' | 'workflow'): void {
    if (what === 'registry') this.registryDirty = true;
    else this.workflowDirty = true;
    if (!this.executing && !this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), 0);
    }
  }

  /** A cell starts: changes it makes are pushed once, when it is done. */
  beginExecute(): void {
    this.executing = true;
  }

  /** A cell is done: pushes `registry-changed` / `workflow-changed` if it changed them. */
  endExecute(parent: JupyterMessage): void {
    this.executing = false;
    this.flush(parent);
  }

  private flush(parent?: JupyterMessage): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.registryDirty) {
      this.registryDirty = false;
      this.push(
        { v: PROTOCOL_VERSION, type: 'registry-changed', steps: this.session.describeSteps() },
        parent,
      );
    }
    if (this.workflowDirty) {
      this.workflowDirty = false;
      this.pushState(parent);
    }
  }

  /**
   * Sends the session's state to every open fancyflow comm: what changed since the state sent
   * before to a front end that applies patches (nothing when nothing did), the whole state to
   * the others.
   */
  private pushState(parent?: JupyterMessage): void {
    const comms = this.comms.list(COMM_TARGET);
    if (comms.length === 0) return;
    const from = parent ?? currentOutput()?.parent;
    const state = this.session.state();
    for (const comm of comms) {
      const sent = this.sent.get(comm);
      if (!sent) {
        this.remember(comm, state);
        comm.send({ v: PROTOCOL_VERSION, type: 'workflow-changed', state } satisfies Push, from);
        continue;
      }
      const patch = sent.diff(state);
      if (Object.keys(patch).length === 0) continue;
      comm.send({ v: PROTOCOL_VERSION, type: 'workflow-patch', patch } satisfies Push, from);
    }
  }

  /** `state` was sent whole on `comm`: the next change is sent as a patch, if it applies them. */
  private remember(comm: Comm, state: WorkflowState): void {
    if (this.patching.has(comm)) this.sent.set(comm, SentState.of(state));
  }

  private async handle(comm: Comm, data: unknown, request: JupyterMessage): Promise<void> {
    const parsed = parseCommRequest(data);
    if (!parsed.success) {
      comm.send(replyError(parsed.id, parsed.error), request);
      return;
    }
    const req = parsed.request;
    try {
      const result = await this.dispatch(req);
      if (req.type === 'hello' && req.statePatches === true) this.patching.add(comm);
      // patches follow the state this reply carries (set as it is sent: nothing comes between)
      if (req.type === 'get-workflow') this.remember(comm, result as WorkflowState);
      const reply: Reply = { v: PROTOCOL_VERSION, type: 'reply', id: req.id, ok: true, result };
      comm.send(reply, request);
    } catch (e) {
      comm.send(replyError(req.id, toFancyflowError(e, 'INTERNAL')), request);
    }
  }

  private async dispatch(req: ParsedRequest): Promise<ResultMap[keyof ResultMap]> {
    switch (req.type) {
      case 'hello': {
        // The lab's settings may ask for a store; the kernel switches while it holds nothing.
        const store =
          req.store === undefined
            ? this.session.store.description
            : await this.session.useStore(req.store);
        const queue =
          req.queue === undefined ? (this.session.queue ?? '') : this.session.useQueue(req.queue);
        return {
          protocolVersion: PROTOCOL_VERSION,
          kernelVersion,
          store,
          queue,
        } satisfies ResultMap['hello'];
      }
      case 'list-steps':
        return { steps: this.session.describeSteps() } satisfies ResultMap['list-steps'];
      case 'recompute':
        return {
          cellIds: this.session.recomputeNextRun(req.cellIds),
        } satisfies ResultMap['recompute'];
      case 'get-workflow':
        return this.session.state();
      case 'preview':
        return this.session.preview(req.cellId, req.rows);
    }
  }
}

function replyError(id: string, error: FancyflowError): Reply {
  const serialized = error.toJSON();
  delete serialized.stack;
  return { v: PROTOCOL_VERSION, type: 'reply', id, ok: false, error: serialized };
}
