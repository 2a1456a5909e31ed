/**
 * Where cell output goes. Each request runs inside an AsyncLocalStorage context holding its output
 * sink, so output from timers and promises that outlive their cell still goes to the cell (the
 * request's parent header) that started them, not to whichever cell runs next.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { TextDecoder } from 'node:util';
import { kernelLog, writeToProcess } from './kernel-log';
import type { JupyterMessage } from './wire';

/** A MIME bundle as display messages carry it. */
export interface DisplayContent {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient?: { display_id?: string };
}

/** Takes one request's output. */
export interface OutputSink {
  /** The request whose output this is (the parent header of what the sink sends). */
  readonly parent?: JupyterMessage;
  stream(name: 'stdout' | 'stderr', text: string): void;
  display(content: DisplayContent, update: boolean): void;
  clear(wait: boolean): void;
  /** Sends buffered stream text now (before results, errors and `idle`). */
  flush(): void;
}

/** Publishes one iopub message (type, content) with the sink's request as parent. */
export type Publish = (msgType: string, content: Record<string, unknown>) => void;

/**
 * The sink of one request: the first stream write of a turn of the event loop is sent at once, the
 * rest of that turn's writes are coalesced (a loop printing 10,000 lines sends two messages);
 * everything else is sent at once, in order.
 */
export class IopubSink implements OutputSink {
  private pending: { name: 'stdout' | 'stderr'; text: string }[] = [];
  private scheduled = false;

  constructor(
    readonly parent: JupyterMessage,
    private readonly publish: Publish,
  ) {}

  stream(name: 'stdout' | 'stderr', text: string): void {
    if (!this.scheduled) {
      // The first write of a turn goes out at once (a cell that prints and then computes for a
      // minute shows its line); later writes of the same turn are coalesced.
      this.scheduled = true;
      setImmediate(() => this.flush());
      this.publish('stream', { name, text });
      return;
    }
    const last = this.pending[this.pending.length - 1];
    if (last && last.name === name) last.text += text;
    else this.pending.push({ name, text });
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    for (const { name, text } of pending) this.publish('stream', { name, text });
  }

  display(content: DisplayContent, update: boolean): void {
    this.flush();
    const message: Record<string, unknown> = {
      data: content.data,
      metadata: content.metadata,
      transient: content.transient ?? {},
    };
    this.publish(update ? 'update_display_data' : 'display_data', message);
  }

  clear(wait: boolean): void {
    this.flush();
    this.publish('clear_output', { wait });
  }
}

const storage = new AsyncLocalStorage<OutputSink>();
let lastSink: OutputSink | undefined;

/** Runs `fn` with `sink` as the output of everything it starts (timers and promises included). */
export function runWithOutput<T>(sink: OutputSink, fn: () => T): T {
  lastSink = sink;
  return storage.run(sink, fn);
}

/**
 * Forgets the latest request's sink, so output made outside any request goes to the process again
 * (a headless notebook run between two cells, where the CLI prints its progress).
 */
export function releaseOutput(): void {
  lastSink = undefined;
}

/**
 * The sink of the code running now; when a callback lost its context (native callbacks), the sink
 * of the latest request.
 */
export function currentOutput(): OutputSink | undefined {
  return storage.getStore() ?? lastSink;
}

const decoder = new TextDecoder();

function patchStream(name: 'stdout' | 'stderr'): void {
  const stream = process[name];
  const replacement = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const text =
      typeof chunk === 'string'
        ? chunk
        : chunk instanceof Uint8Array
          ? decoder.decode(chunk)
          : String(chunk);
    const sink = currentOutput();
    if (sink) sink.stream(name, text);
    else writeToProcess(name, text);
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  };
  stream.write = replacement as typeof stream.write;
}

interface TslabJupyterModule {
  lastWriteDisplayData: ((content: DisplayContent, update: boolean) => void) | null;
}

const INSTALLED = Symbol.for('fancyflow.kernel.outputCapture');
const DISPLAY_HOOK_INSTALLED = Symbol.for('fancyflow.kernel.tslabDisplayHook');

/**
 * Sends `process.stdout`/`stderr` writes (console.log and friends) to the current request's sink.
 * Once per process.
 */
export function installOutputCapture(): void {
  const g = globalThis as { [INSTALLED]?: boolean };
  if (g[INSTALLED]) return;
  g[INSTALLED] = true;
  patchStream('stdout');
  patchStream('stderr');
}

/**
 * Sends tslab's `display` to the current request's sink. Once per process; the engine installs it
 * when it loads (tslab's jupyter module loads the TypeScript compiler).
 */
export function installTslabDisplayHook(): void {
  const g = globalThis as { [DISPLAY_HOOK_INSTALLED]?: boolean };
  if (g[DISPLAY_HOOK_INSTALLED]) return;
  g[DISPLAY_HOOK_INSTALLED] = true;
  // tslab's public `display` writes through this module-level hook of its jupyter module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tslabJupyter = require('tslab/dist/jupyter') as TslabJupyterModule;
  tslabJupyter.lastWriteDisplayData = (content, update) => {
    const sink = currentOutput();
    if (sink) sink.display(content, update);
    else kernelLog('display outside any request was dropped');
  };
}
