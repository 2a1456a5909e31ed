/**
 * A notebook's line to the fancyflow kernel: opens the `fancyflow` comm when the notebook's kernel
 * is the fancyflow kernel and ready, says `hello`, and opens it again after a kernel change or
 * restart. Requests fail with `KERNEL_UNAVAILABLE` (never hang) while there is no comm. The state
 * is a {@link ConnectionStatus} the sidebar shows as a sentence.
 */
import type { ISessionContext } from '@jupyterlab/apputils';
import type { Kernel } from '@jupyterlab/services';
import type { JSONValue } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import { Signal, type ISignal } from '@lumino/signaling';
import { FancyflowError } from '../core/errors';
import { COMM_TARGET, type Push, type Request, type ResultMap } from '../protocol/messages';
import { FANCYFLOW_KERNEL_NAME, type ConnectionStatus } from './connection-status';
import { RequestClient, type RequestBody, type RequestOptions } from './request-client';

/** How long the kernel has to answer `hello` (it answers comm requests at once, even when busy). */
const HELLO_TIMEOUT_MS = 5_000;

/** How many `hello`s are tried before the kernel counts as not answering. */
const HELLO_ATTEMPTS = 4;

/** Options of a {@link KernelConnection}. */
export interface KernelConnectionOptions {
  /** The kernel spec name of the fancyflow kernel. Default `fancyflow`. */
  kernelName?: string;
  /** Milliseconds a request waits for its reply (runs wait forever). Default 30 000. */
  timeoutMs?: number;
  /** The store the settings ask for (`memory` or a folder), sent with `hello`. Default: none. */
  store?: () => string | undefined;
  /**
   * The queue the settings ask step cells to run on (`redis://…`, `''` for none), sent with
   * `hello`. Default: none sent (the kernel keeps its own).
   */
  queue?: () => string | undefined;
}

/** The facts of the kernel a connection says hello to. */
export type HelloResult = ResultMap['hello'];

/**
 * The fancyflow comm of one notebook's session.
 *
 * @example
 * const connection = new KernelConnection(panel.sessionContext);
 * connection.connected.connect(async () => model.setSteps((await connection.request({ type: 'list-steps' })).steps));
 * connection.pushed.connect((_, push) => …);
 */
export class KernelConnection implements IDisposable {
  private currentStatus: ConnectionStatus = { kind: 'starting' };
  private comm: Kernel.IComm | undefined;
  private client: RequestClient | undefined;
  /** The kernel (and its restart generation) the open comm belongs to. */
  private commKernel: Kernel.IKernelConnection | undefined;
  private disposed = false;
  /** Failed `hello`s in a row, and the retry scheduled after the last one. */
  private helloFailures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly kernelName: string;
  private readonly timeoutMs: number;
  private readonly store: () => string | undefined;
  private readonly queue: () => string | undefined;
  private readonly statusChangedSignal = new Signal<this, ConnectionStatus>(this);
  private readonly pushedSignal = new Signal<this, Push>(this);
  private readonly connectedSignal = new Signal<this, HelloResult>(this);

  constructor(
    readonly sessionContext: ISessionContext,
    options: KernelConnectionOptions = {},
  ) {
    this.kernelName = options.kernelName ?? FANCYFLOW_KERNEL_NAME;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.store = options.store ?? (() => undefined);
    this.queue = options.queue ?? (() => undefined);
    sessionContext.kernelChanged.connect(this.onKernelChanged, this);
    sessionContext.statusChanged.connect(this.update, this);
    sessionContext.connectionStatusChanged.connect(this.update, this);
    sessionContext.sessionChanged.connect(this.update, this);
    void sessionContext.ready.then(
      () => this.update(),
      () => this.update(),
    );
    this.update();
  }

  /** The connection state. */
  get status(): ConnectionStatus {
    return this.currentStatus;
  }

  /** Emitted when the state changes. */
  get statusChanged(): ISignal<this, ConnectionStatus> {
    return this.statusChangedSignal;
  }

  /** Kernel pushes: run events, registry and workflow changes. */
  get pushed(): ISignal<this, Push> {
    return this.pushedSignal;
  }

  /** Emitted each time a comm opens and the kernel answered `hello` (after restarts too). */
  get connected(): ISignal<this, HelloResult> {
    return this.connectedSignal;
  }

  /** True when the notebook's kernel is the fancyflow kernel (whatever its state). */
  isFancyflowKernel(kernel = this.sessionContext.session?.kernel): boolean {
    return !!kernel && (kernel.name === this.kernelName || kernel.name.includes('fancyflow'));
  }

  /**
   * Sends a request. Rejects with `KERNEL_UNAVAILABLE` when there is no fancyflow comm or the
   * reply does not come in time; with the kernel's coded error when it refuses.
   */
  request<T extends Request['type']>(
    body: RequestBody<T> & { type: T },
    options?: RequestOptions,
  ): Promise<ResultMap[T]> {
    const client = this.client;
    if (!client || this.currentStatus.kind !== 'connected') {
      return Promise.reject(
        new FancyflowError(
          'KERNEL_UNAVAILABLE',
          'No fancyflow kernel is connected to this notebook',
          {
            details: { request: body.type, state: this.currentStatus.kind },
          },
        ),
      );
    }
    return client.request<T>(body, options);
  }

  private onKernelChanged(): void {
    this.closeComm('the kernel changed');
    this.update();
  }

  private setStatus(status: ConnectionStatus): void {
    if (JSON.stringify(status) === JSON.stringify(this.currentStatus)) return;
    this.currentStatus = status;
    this.statusChangedSignal.emit(status);
  }

  /** Works out the state from the session and opens or closes the comm to match. */
  private update(): void {
    if (this.disposed) return;
    const context = this.sessionContext;
    if (context.isDisposed) {
      this.closeComm('the notebook closed');
      this.setStatus({ kind: 'no-kernel' });
      return;
    }
    const kernel = context.session?.kernel ?? null;
    if (!kernel) {
      this.closeComm('the notebook has no kernel');
      this.setStatus(
        !context.isReady && !context.hasNoKernel ? { kind: 'starting' } : { kind: 'no-kernel' },
      );
      return;
    }
    if (!this.isFancyflowKernel(kernel)) {
      this.closeComm('the kernel is not fancyflow');
      this.setStatus({
        kind: 'other-kernel',
        kernelName: kernel.name,
        displayName: context.kernelDisplayName,
      });
      return;
    }
    switch (kernel.status) {
      case 'restarting':
      case 'autorestarting':
        this.closeComm('the kernel is restarting');
        this.helloFailures = 0;
        this.setStatus({ kind: 'restarting' });
        return;
      case 'dead':
        this.closeComm('the kernel died');
        this.setStatus({ kind: 'dead' });
        return;
      case 'starting':
        // a kernel process that starts knows no comm of ours
        this.closeComm('the kernel is starting');
        this.setStatus({ kind: 'starting' });
        return;
      case 'unknown':
        // JupyterLab says `unknown` while it reconnects, and may stay there after a restart
        // (its kernel_info's status messages are not tracked): a connected kernel answers
        if (kernel.connectionStatus === 'connected') {
          if (!this.comm || this.commKernel !== kernel) this.openComm(kernel);
          return;
        }
        this.closeComm('the kernel is reconnecting');
        this.setStatus({ kind: 'connecting' });
        return;
      case 'terminating':
        if (this.comm && this.commKernel === kernel && this.currentStatus.kind === 'connected')
          return;
        this.setStatus({ kind: 'starting' });
        return;
      case 'idle':
      case 'busy':
        if (kernel.connectionStatus !== 'connected') {
          // JupyterLab reconnects after a restart: a comm opened before belongs to the old process
          // (it may have been opened on the old kernel's last `idle`), so it is opened again
          this.closeComm('the kernel is reconnecting');
          this.setStatus({ kind: 'connecting' });
          return;
        }
        if (!this.comm || this.commKernel !== kernel) this.openComm(kernel);
        return;
    }
  }

  private openComm(kernel: Kernel.IKernelConnection): void {
    if (this.retryTimer !== undefined) return; // a retry is scheduled
    this.closeComm('reconnecting');
    this.setStatus({ kind: 'connecting' });
    let comm: Kernel.IComm;
    try {
      comm = kernel.createComm(COMM_TARGET);
    } catch (e) {
      this.setStatus({ kind: 'unavailable', reason: e instanceof Error ? e.message : String(e) });
      return;
    }
    const client = new RequestClient(
      (message) => {
        if (comm.isDisposed) throw new Error('the comm is closed');
        comm.send(message as unknown as JSONValue);
      },
      (push) => this.pushedSignal.emit(push),
      this.timeoutMs,
    );
    this.comm = comm;
    this.client = client;
    this.commKernel = kernel;
    comm.onMsg = (msg) => {
      client.receive(msg.content.data);
    };
    comm.onClose = () => {
      if (this.comm !== comm) return;
      this.closeComm('the kernel closed the comm');
      this.setStatus({ kind: 'unavailable', reason: 'the kernel closed the fancyflow comm' });
    };
    try {
      comm.open({});
    } catch (e) {
      this.closeComm('the comm did not open');
      this.setStatus({ kind: 'unavailable', reason: e instanceof Error ? e.message : String(e) });
      return;
    }
    const store = this.store();
    const queue = this.queue();
    client
      .request(
        {
          type: 'hello',
          // NotebookFlow applies `workflow-patch` pushes
          statePatches: true,
          ...(store ? { store } : {}),
          ...(queue === undefined ? {} : { queue }),
        },
        {
          timeoutMs: Math.min(this.timeoutMs, HELLO_TIMEOUT_MS),
        },
      )
      .then(
        (hello) => {
          if (this.client !== client) return;
          this.helloFailures = 0;
          this.setStatus({
            kind: 'connected',
            kernelVersion: hello.kernelVersion,
            store: hello.store,
          });
          this.connectedSignal.emit(hello);
        },
        (e: unknown) => {
          if (this.client !== client) return;
          this.closeComm('no hello');
          // a comm opened while JupyterLab was reconnecting to a restarted kernel can be lost
          // on the way: open it again, a few times, before saying the kernel does not answer
          if (++this.helloFailures < HELLO_ATTEMPTS) {
            this.setStatus({ kind: 'connecting' });
            this.retryTimer = setTimeout(() => {
              this.retryTimer = undefined;
              this.update();
            }, 500 * this.helloFailures);
            return;
          }
          this.setStatus({
            kind: 'unavailable',
            reason: e instanceof Error ? e.message : String(e),
          });
        },
      );
  }

  private closeComm(reason: string): void {
    const comm = this.comm;
    const client = this.client;
    this.comm = undefined;
    this.client = undefined;
    this.commKernel = undefined;
    client?.close(reason);
    if (comm && !comm.isDisposed) {
      comm.onMsg = () => undefined;
      comm.onClose = () => undefined;
      try {
        const kernel = this.sessionContext.session?.kernel;
        if (kernel && kernel.status !== 'dead' && kernel.connectionStatus === 'connected')
          comm.close();
        else comm.dispose();
      } catch {
        // the kernel is gone: the comm dies with it
      }
    }
  }

  /** Reconnects now (after the user changed the kernel, or to retry an unavailable kernel). */
  reconnect(): void {
    this.closeComm('reconnect');
    this.helloFailures = 0;
    this.update();
  }

  /** True once disposed. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Closes the comm and stops following the session. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.closeComm('disposed');
    Signal.clearData(this);
  }
}
