/**
 * Comms: the kernel side of `comm_open` / `comm_msg` / `comm_close` / `comm_info_request`. A comm
 * target decides what a comm opened by the front end does.
 */
import { kernelLog } from './kernel-log';
import type { JsonObject, JupyterMessage } from './wire';

/**
 * The longest comm id accepted (front ends use UUIDs). A comm's id is in every message it sends,
 * so a longer one would make the kernel echo it forever.
 */
export const MAX_COMM_ID_LENGTH = 256;

/** Sends a comm message (`comm_msg` / `comm_close`) on iopub, with `parent` as parent header. */
export type CommPublish = (
  msgType: 'comm_msg' | 'comm_close' | 'comm_open',
  content: JsonObject,
  parent: JupyterMessage | undefined,
) => void;

/** One open comm. */
export class Comm {
  private messageHandler?: (data: unknown, request: JupyterMessage) => void;
  private closeHandler?: () => void;
  private isClosed = false;

  constructor(
    readonly id: string,
    readonly targetName: string,
    private readonly publish: CommPublish,
  ) {}

  /** Sends `data` to the front end; `parent` is the request it answers or the one that caused it. */
  send(data: unknown, parent?: JupyterMessage): void {
    if (this.isClosed) return;
    this.publish('comm_msg', { comm_id: this.id, data: data as JsonObject }, parent);
  }

  /** Closes the comm from the kernel side. */
  close(data: unknown = {}, parent?: JupyterMessage): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.publish('comm_close', { comm_id: this.id, data: data as JsonObject }, parent);
    this.closeHandler?.();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Handles messages from the front end. */
  onMessage(handler: (data: unknown, request: JupyterMessage) => void): void {
    this.messageHandler = handler;
  }

  /** Called when either side closes the comm. */
  onClose(handler: () => void): void {
    this.closeHandler = handler;
  }

  /** @internal a message from the front end */
  receive(data: unknown, request: JupyterMessage): void {
    this.messageHandler?.(data, request);
  }

  /** @internal the front end closed the comm */
  closedByFrontEnd(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closeHandler?.();
  }
}

/** Called when the front end opens a comm of a target. */
export type CommTarget = (comm: Comm, data: unknown, request: JupyterMessage) => void;

/** The comms of one kernel. */
export class CommManager {
  private readonly targets = new Map<string, CommTarget>();
  private readonly comms = new Map<string, Comm>();

  constructor(private readonly publish: CommPublish) {}

  /** Registers what comms of `name` do. */
  registerTarget(name: string, target: CommTarget): void {
    this.targets.set(name, target);
  }

  /** The open comms of `targetName` (all when undefined). */
  list(targetName?: string): Comm[] {
    return [...this.comms.values()].filter(
      (c) => targetName === undefined || c.targetName === targetName,
    );
  }

  /** `comm_open` from the front end; an unknown target gets the comm closed right back. */
  handleOpen(request: JupyterMessage): void {
    const { comm_id: id, target_name: targetName, data } = request.content;
    if (typeof id !== 'string' || typeof targetName !== 'string') {
      kernelLog('comm_open without comm_id/target_name ignored');
      return;
    }
    if (id.length > MAX_COMM_ID_LENGTH || targetName.length > MAX_COMM_ID_LENGTH) {
      kernelLog(
        `comm_open with a comm_id or target_name over ${MAX_COMM_ID_LENGTH} characters ignored`,
      );
      return;
    }
    const comm = new Comm(id, targetName, this.publish);
    const target = this.targets.get(targetName);
    if (!target) {
      comm.close({}, request);
      return;
    }
    this.comms.set(id, comm);
    comm.onClose(() => this.comms.delete(id));
    target(comm, data ?? {}, request);
  }

  /** `comm_msg` from the front end. */
  handleMessage(request: JupyterMessage): void {
    const id = request.content.comm_id;
    const comm = typeof id === 'string' ? this.comms.get(id) : undefined;
    if (!comm) {
      kernelLog(`comm_msg for unknown comm ${String(id)} ignored`);
      return;
    }
    comm.receive(request.content.data, request);
  }

  /** `comm_close` from the front end. */
  handleClose(request: JupyterMessage): void {
    const id = request.content.comm_id;
    const comm = typeof id === 'string' ? this.comms.get(id) : undefined;
    if (!comm) return;
    this.comms.delete(comm.id);
    comm.closedByFrontEnd();
  }

  /** The content of a `comm_info_reply`. */
  info(targetName?: unknown): { status: 'ok'; comms: Record<string, { target_name: string }> } {
    const comms: Record<string, { target_name: string }> = {};
    for (const comm of this.comms.values()) {
      if (typeof targetName === 'string' && targetName !== '' && comm.targetName !== targetName)
        continue;
      comms[comm.id] = { target_name: comm.targetName };
    }
    return { status: 'ok', comms };
  }
}
