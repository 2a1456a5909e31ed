/**
 * The kernel: Jupyter messaging protocol 5.3 over the sockets, the execute engine and the notebook
 * session. Executions run one at a time in arrival order (the one queue every run goes through,
 * cells and workflow runs alike); every other request (kernel_info, complete, inspect, history,
 * comms, …) is answered at once, also while a cell awaits.
 *
 * The kernel listens before its engine (tslab's type checker, the slow part of a start) is loaded:
 * kernel_info, history and the comms (the lab's palette and workflow) are answered at once, then
 * the engine loads and warms up; executions, completions, inspections and is_complete wait for it,
 * in order.
 *
 * The kernel reports `busy` while anything is in flight: a request answered during an execution
 * publishes its `idle` only when the execution is done, so front ends never see an idle kernel
 * that is still running a cell.
 */
import { randomUUID } from 'node:crypto';
import { FancyflowError } from '../core/errors';
import { CellMetadataSchema, NOTEBOOK_METADATA_KEY } from '../core/format';
import { MAX_ID_LENGTH } from '../protocol/messages';
import type { CellRun, CellRunner } from './cell-runner';
import { CommManager } from './comms';
import type { ConnectionInfo } from './connection';
import { plainText } from './displays';
import type { ExecuteEngine, ExecutionError } from './engine';
import { FancyflowComms } from './fancyflow-comm';
import { History } from './history';
import { LANGUAGE_INFO, TYPESCRIPT_VERSION } from './language-info';
import { kernelLog } from './kernel-log';
import { IopubSink, runWithOutput, type OutputSink } from './output';
import { kernelVersion, NotebookSession, type NotRunStep } from './session';
import { KernelSockets, type RequestChannel } from './sockets';
import {
  createMessage,
  createSigner,
  PROTOCOL_VERSION,
  type JsonObject,
  type JupyterMessage,
} from './wire';

/** Options of a kernel. */
export interface KernelOptions {
  connection: ConnectionInfo;
  /** The notebook's folder (relative imports resolve from it). Default: the process's cwd. */
  rootDir?: string;
  /** A disk store folder or `s3://bucket/prefix`; default a memory store. */
  storeDir?: string;
  /** A queue whose workers run the step cells (`redis://host:port`); default none. */
  queue?: string;
}

/** How the kernel ended. */
export interface KernelExit {
  restart: boolean;
}

/** `FANCYFLOW_KERNEL_DEBUG=1` logs every request and iopub message to the kernel's stderr. */
const DEBUG = Boolean(process.env.FANCYFLOW_KERNEL_DEBUG);

/**
 * How long a started kernel waits for its first request before it loads its engine anyway. A
 * Jupyter client asks kernel_info first, as soon as its sockets connect (ZeroMQ retries every
 * 100 ms): the engine's load blocks this thread for seconds, so it waits for that.
 */
const WARM_UP_DELAY_MS = 200;

/**
 * How long the kernel stays quiet after a request that does not need the engine before it loads
 * it: a client whose iopub subscription joined late (ZeroMQ's slow joiner) missed that request's
 * `idle` and asks kernel_info again, jupyter-server's "nudge" every 0.5 s until an iopub message
 * comes through, other clients after a 1 s timeout counted from their send (a few hundred ms
 * after the reply): that request must not wait seconds for the load. Requests that need the
 * engine (execute, complete, inspect, is_complete) start the load at once.
 */
const QUIET_MS = 600;

/** The requests answered by the engine, which start its load as they arrive. */
const ENGINE_REQUESTS: ReadonlySet<string> = new Set([
  'execute_request',
  'complete_request',
  'inspect_request',
  'is_complete_request',
]);

/** The execute engine with its cell runner, once loaded and warmed up. */
interface LoadedEngine {
  engine: ExecuteEngine;
  runner: CellRunner;
}

const TSLAB_VERSION = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('tslab/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

/**
 * The step an execute request would have run: the kernel's own step for its cell, or the step
 * cell metadata JupyterLab sends with every execution (`metadata.fancyflow`).
 */
function notRunStep(request: JupyterMessage, session: NotebookSession): NotRunStep[] {
  const cellId = request.metadata.cellId;
  if (typeof cellId !== 'string' || cellId === '') return [];
  const known = session.steps.get(cellId);
  if (known) return [{ cellId, slug: known.slug, ...(known.name ? { name: known.name } : {}) }];
  const parsed = CellMetadataSchema.safeParse(request.metadata[NOTEBOOK_METADATA_KEY]);
  if (!parsed.success) return [];
  const { slug, name } = parsed.data;
  return [{ cellId, slug, ...(name ? { name } : {}) }];
}

function stringField(content: JsonObject, key: string, fallback = ''): string {
  const value = content[key];
  return typeof value === 'string' ? value : fallback;
}

function boolField(content: JsonObject, key: string, fallback: boolean): boolean {
  const value = content[key];
  return typeof value === 'boolean' ? value : fallback;
}

/** A running kernel. */
export class Kernel {
  private readonly id = randomUUID();
  private readonly history = new History();
  private readonly comms: CommManager;
  private readonly fancyflow: FancyflowComms;
  private readonly queue: JupyterMessage[] = [];
  /** The engine, loaded and warmed up after the kernel listens (see {@link startWarmUp}). */
  private readonly engine: Promise<LoadedEngine>;
  private loaded?: LoadedEngine;
  private startWarmUp!: () => void;
  private warmUpTimer?: NodeJS.Timeout;
  private engineLoading = false;
  /** `idle` of requests answered while an execution runs, published when it is done. */
  private readonly deferredIdle: JupyterMessage[] = [];
  private executing = false;
  private sockets?: KernelSockets;
  private executionCount = 0;
  private generatedCellIds = 0;
  private draining = false;
  private closed = false;
  private exitResolve!: (exit: KernelExit) => void;
  /** Resolves when the kernel has shut down (after a `shutdown_request`). */
  readonly exited: Promise<KernelExit> = new Promise((resolve) => (this.exitResolve = resolve));

  private constructor(
    readonly session: NotebookSession,
    private readonly rootDir: string,
  ) {
    this.comms = new CommManager((type, content, parent) => this.publish(type, content, parent));
    this.fancyflow = new FancyflowComms(session, this.comms);
    const go = new Promise<void>((resolve) => (this.startWarmUp = resolve));
    this.engine = go.then(() => this.loadEngine());
  }

  /**
   * Loads tslab's converter and executor and type-checks an empty cell, so the type checker's
   * first (slow) run happens now, not in the user's first cell.
   */
  private async loadEngine(): Promise<LoadedEngine> {
    this.engineLoading = true;
    clearTimeout(this.warmUpTimer);
    // shut down first: nothing waits for an engine any more
    if (this.closed) return new Promise<LoadedEngine>(() => undefined);
    const [{ ExecuteEngine }, { CellRunner }] = await Promise.all([
      import('./engine'),
      import('./cell-runner'),
    ]);
    const engine = new ExecuteEngine(this.rootDir);
    await engine.warmUp();
    if (this.closed) engine.close();
    this.loaded = { engine, runner: new CellRunner(engine, this.session) };
    return this.loaded;
  }

  /**
   * Starts a kernel: the sockets bind and the heartbeat thread starts (off this thread) while the
   * session opens; the kernel then listens, and loads its engine at the first request that needs
   * it, or once no request came for {@link QUIET_MS} after one ({@link WARM_UP_DELAY_MS} after
   * the start without any).
   */
  static async start(options: KernelOptions): Promise<Kernel> {
    const rootDir = options.rootDir ?? process.cwd();
    const signer = createSigner(options.connection.key, options.connection.signature_scheme);
    const binding = KernelSockets.bind(options.connection, signer);
    // awaited after the session: a failure must not count as unhandled meanwhile
    binding.catch(() => undefined);
    let session: NotebookSession | undefined;
    try {
      session = await NotebookSession.create({
        rootDir,
        ...(options.storeDir === undefined ? {} : { storeDir: options.storeDir }),
        ...(options.queue === undefined ? {} : { queue: options.queue }),
      });
      const kernel = new Kernel(session, rootDir);
      kernel.sockets = await binding;
      kernel.sockets.listen((channel, message) => kernel.onRequest(channel, message));
      kernel.publish('status', { execution_state: 'starting' }, undefined);
      kernel.warmUpTimer = setTimeout(kernel.startWarmUp, WARM_UP_DELAY_MS);
      return kernel;
    } catch (e) {
      session?.close();
      void binding.then((sockets) => sockets.close());
      throw e;
    }
  }

  /** Sends an iopub message. */
  private publish(msgType: string, content: JsonObject, parent: JupyterMessage | undefined): void {
    if (DEBUG) kernelLog(`-> iopub ${msgType} ${JSON.stringify(content).slice(0, 60)}`);
    void this.sockets?.send('iopub', createMessage(msgType, content, parent, this.id));
  }

  private reply(
    channel: RequestChannel,
    request: JupyterMessage,
    msgType: string,
    content: JsonObject,
  ): Promise<void> {
    const message = createMessage(msgType, content, request, this.id, {
      identities: request.identities,
    });
    return this.sockets?.send(channel, message) ?? Promise.resolve();
  }

  private sinkFor(request: JupyterMessage): IopubSink {
    return new IopubSink(request, (type, content) => this.publish(type, content, request));
  }

  /** Publishes busy, runs `handle` with the request's output sink, flushes, publishes idle. */
  private async busy(
    request: JupyterMessage,
    handle: (sink: OutputSink) => unknown,
  ): Promise<void> {
    this.publish('status', { execution_state: 'busy' }, request);
    const sink = this.sinkFor(request);
    const isExecution = request.header.msg_type === 'execute_request';
    if (isExecution) this.executing = true;
    try {
      await runWithOutput(sink, () => handle(sink));
    } catch (e) {
      kernelLog(
        `${request.header.msg_type} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
    } finally {
      sink.flush();
      if (isExecution) {
        this.executing = false;
        for (const deferred of this.deferredIdle.splice(0)) {
          this.publish('status', { execution_state: 'idle' }, deferred);
        }
        this.publish('status', { execution_state: 'idle' }, request);
      } else if (this.executing) {
        this.deferredIdle.push(request);
      } else {
        this.publish('status', { execution_state: 'idle' }, request);
      }
    }
  }

  private onRequest(channel: RequestChannel, request: JupyterMessage): void {
    const type = request.header.msg_type;
    if (DEBUG) kernelLog(`<- ${channel} ${type} ${JSON.stringify(request.content).slice(0, 80)}`);
    if (!this.engineLoading && !this.closed && type !== 'shutdown_request') {
      // this request is answered before the engine's load blocks this thread
      clearTimeout(this.warmUpTimer);
      this.warmUpTimer = setTimeout(this.startWarmUp, ENGINE_REQUESTS.has(type) ? 0 : QUIET_MS);
    }
    if (type === 'execute_request') {
      this.queue.push(request);
      void this.drain(channel);
      return;
    }
    void this.busy(request, () => this.handle(channel, request));
  }

  private async handle(channel: RequestChannel, request: JupyterMessage): Promise<void> {
    const content = request.content;
    switch (request.header.msg_type) {
      case 'kernel_info_request':
        return this.reply(channel, request, 'kernel_info_reply', this.kernelInfo());
      case 'is_complete_request': {
        const { engine } = await this.engine;
        return this.reply(channel, request, 'is_complete_reply', {
          ...engine.isComplete(stringField(content, 'code')),
        });
      }
      case 'complete_request': {
        const { engine } = await this.engine;
        const code = stringField(content, 'code');
        const cursor =
          typeof content.cursor_pos === 'number' ? content.cursor_pos : [...code].length;
        const completion = engine.complete(code, cursor);
        return this.reply(channel, request, 'complete_reply', {
          status: 'ok',
          matches: completion.matches,
          cursor_start: completion.cursorStart,
          cursor_end: completion.cursorEnd,
          metadata: {},
        });
      }
      case 'inspect_request': {
        const { engine } = await this.engine;
        const code = stringField(content, 'code');
        const cursor =
          typeof content.cursor_pos === 'number' ? content.cursor_pos : [...code].length;
        const text = engine.inspect(code, cursor);
        return this.reply(channel, request, 'inspect_reply', {
          status: 'ok',
          found: text !== undefined,
          data: text === undefined ? {} : { 'text/plain': text },
          metadata: {},
        });
      }
      case 'history_request':
        return this.reply(channel, request, 'history_reply', {
          status: 'ok',
          history: this.history.query(content),
        });
      case 'comm_info_request':
        return this.reply(
          channel,
          request,
          'comm_info_reply',
          this.comms.info(content.target_name),
        );
      case 'comm_open':
        return this.comms.handleOpen(request);
      case 'comm_msg':
        return this.comms.handleMessage(request);
      case 'comm_close':
        return this.comms.handleClose(request);
      case 'interrupt_request':
        this.interrupt();
        return this.reply(channel, request, 'interrupt_reply', { status: 'ok' });
      case 'shutdown_request':
        return this.shutdown(channel, request);
      case 'connect_request':
        return this.reply(channel, request, 'connect_reply', {
          status: 'ok',
          ...this.sockets?.ports,
        });
      default:
        kernelLog(`unsupported ${channel} message ${request.header.msg_type} ignored`);
    }
  }

  private kernelInfo(): JsonObject {
    return {
      status: 'ok',
      protocol_version: PROTOCOL_VERSION,
      implementation: 'fancyflow',
      implementation_version: kernelVersion,
      language_info: { ...LANGUAGE_INFO, codemirror_mode: { ...LANGUAGE_INFO.codemirror_mode } },
      banner: `fancyflow ${kernelVersion}: TypeScript ${TYPESCRIPT_VERSION} (tslab ${TSLAB_VERSION}) on Node.js ${process.version}`,
      help_links: [
        { text: 'fancyflow', url: 'https://github.com/fancyflow/fancyflow#readme' },
        {
          text: 'TypeScript handbook',
          url: 'https://www.typescriptlang.org/docs/handbook/intro.html',
        },
        { text: 'Node.js API', url: 'https://nodejs.org/api/' },
      ],
      debugger: false,
    };
  }

  /** Interrupts the running cell: its pending await is rejected and its workflow runs cancelled. */
  interrupt(): void {
    if (DEBUG) kernelLog('interrupt');
    this.loaded?.engine.interrupt();
    this.session.cancel();
  }

  private async drain(channel: RequestChannel): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      // Without an await once loaded: an execution starts in the same turn as its request, as
      // before the engine loaded lazily, so requests read meanwhile are queued behind it (and
      // aborted with it after an error).
      const runner = this.loaded?.runner ?? (await this.engine).runner;
      for (let request = this.queue.shift(); request; request = this.queue.shift()) {
        await this.execute(channel, request, runner);
      }
    } finally {
      this.draining = false;
    }
  }

  private async execute(
    channel: RequestChannel,
    request: JupyterMessage,
    runner: CellRunner,
  ): Promise<void> {
    const content = request.content;
    const code = stringField(content, 'code');
    const silent = boolField(content, 'silent', false);
    const storeHistory = silent ? false : boolField(content, 'store_history', true);
    const stopOnError = boolField(content, 'stop_on_error', true);
    const cellId =
      typeof request.metadata.cellId === 'string' &&
      request.metadata.cellId !== '' &&
      request.metadata.cellId.length <= MAX_ID_LENGTH // ids are quoted in replies: bounded
        ? request.metadata.cellId
        : `cell-${++this.generatedCellIds}`;
    let aborted: JupyterMessage[] = [];
    let failure: { error: ExecutionError; cellId: string; count: number } | undefined;
    await this.busy(request, async (sink) => {
      if (storeHistory) {
        this.executionCount++;
        this.history.record(this.executionCount, code);
      }
      const count = this.executionCount;
      if (!silent) this.publish('execute_input', { code, execution_count: count }, request);
      this.fancyflow.beginExecute();
      let run: CellRun;
      try {
        run = await runner.run(code, cellId, count, { silent });
      } finally {
        this.fancyflow.endExecute(request);
      }
      for (const note of run.notes) sink.stream('stderr', `${note}\n`);
      sink.flush();
      const error = run.error;
      if (error) {
        // The batch is what is queued now, before the client can read the error reply.
        if (stopOnError) failure = { error, cellId, count };
        if (stopOnError) aborted = this.takeQueued(request.header.session);
        if (!silent) {
          this.publish(
            'error',
            { ename: error.ename, evalue: error.evalue, traceback: error.traceback },
            request,
          );
        }
        await this.reply(channel, request, 'execute_reply', {
          status: 'error',
          execution_count: count,
          ename: error.ename,
          evalue: error.evalue,
          traceback: error.traceback,
        });
        return;
      }
      if (run.result && !silent) {
        const { data, metadata } = run.result;
        this.publish('execute_result', { execution_count: count, data, metadata }, request);
        const text = data['text/plain'];
        if (storeHistory && typeof text === 'string') this.history.recordOutput(count, text);
      }
      const expressions = content.user_expressions;
      const userExpressions =
        typeof expressions === 'object' && expressions !== null && !Array.isArray(expressions)
          ? await this.evaluate(runner.engine, expressions as JsonObject)
          : {};
      await this.reply(channel, request, 'execute_reply', {
        status: 'ok',
        execution_count: count,
        payload: [],
        user_expressions: userExpressions,
      });
    });
    if (aborted.length > 0 && failure) this.markAborted(aborted, failure);
    this.abort(channel, aborted);
  }

  /** Evaluates `user_expressions` after a successful execution, as IPython does. */
  private async evaluate(engine: ExecuteEngine, expressions: JsonObject): Promise<JsonObject> {
    const out: JsonObject = {};
    for (const [name, expression] of Object.entries(expressions)) {
      if (typeof expression !== 'string' || name.length > MAX_ID_LENGTH) continue; // echoed: bounded
      const outcome = await engine.execute(expression);
      if (outcome.status === 'error') {
        out[name] = { status: 'error', ...outcome.error, thrown: undefined };
        delete (out[name] as JsonObject).thrown;
      } else {
        const value = outcome.hasValue ? outcome.value : undefined;
        out[name] = { status: 'ok', data: { 'text/plain': plainText(value) }, metadata: {} };
      }
    }
    return out;
  }

  /**
   * Step cells among execute requests aborted after a failure are marked: `cancelled` after an
   * interrupt, `skipped` after an error (naming the cell that failed), so their badges do not show
   * an earlier run as if it were this one.
   */
  private markAborted(
    requests: readonly JupyterMessage[],
    failure: { error: ExecutionError; cellId: string; count: number },
  ): void {
    const steps = requests.flatMap((r) => notRunStep(r, this.session));
    if (steps.length === 0) return;
    const interrupted =
      failure.error.ename === 'Interrupted' || failure.error.evalue.startsWith('CANCELLED');
    const failed = this.session.stepLabelOf(failure.cellId);
    const what = failed ? `step ${failed}` : `cell [${failure.count}]`;
    const error = interrupted
      ? new FancyflowError('CANCELLED', `Not run: the run was interrupted at ${what}`)
      : new FancyflowError('DEPENDENCY_FAILED', `Not run: ${what} failed before it`);
    this.session.markNotRun(steps, interrupted ? 'cancelled' : 'skipped', error);
  }

  /** Removes and returns the queued execute requests of client session `session`. */
  private takeQueued(session: string): JupyterMessage[] {
    const taken = this.queue.filter((r) => r.header.session === session);
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i]!.header.session === session) this.queue.splice(i, 1);
    }
    return taken;
  }

  /**
   * After an error with `stop_on_error`: the execute requests of the same client that were queued
   * when the error happened (sent as one batch with the failed one) are answered `aborted`.
   * Requests sent after the client saw the error run normally (no time window).
   */
  private abort(channel: RequestChannel, requests: readonly JupyterMessage[]): void {
    for (const request of requests) {
      this.publish('status', { execution_state: 'busy' }, request);
      void this.reply(channel, request, 'execute_reply', {
        status: 'aborted',
        execution_count: this.executionCount,
      });
      this.publish('status', { execution_state: 'idle' }, request);
    }
  }

  private async shutdown(channel: RequestChannel, request: JupyterMessage): Promise<void> {
    const restart = boolField(request.content, 'restart', false);
    await this.reply(channel, request, 'shutdown_reply', { status: 'ok', restart });
    this.publish('status', { execution_state: 'idle' }, request);
    // Let zeromq hand the reply over before the sockets close.
    setTimeout(() => this.close({ restart }), 50);
  }

  /** Closes sockets, the session and the type checker; resolves {@link exited}. Once. */
  close(exit: KernelExit = { restart: false }): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.warmUpTimer);
    this.session.close();
    this.sockets?.close();
    // an engine still loading closes when it is done
    this.loaded?.engine.close();
    this.exitResolve(exit);
  }
}
