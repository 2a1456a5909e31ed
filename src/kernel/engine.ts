/**
 * The execute engine: tslab's converter (type-check + transpile) and executor (run in this V8
 * context, keeping declarations between cells), with the outcome of each execution as data: the
 * last expression's value, or an error with `ename`/`evalue`/`traceback` (type errors included).
 */
import * as ts from '@tslab/typescript-for-tslab';
import { createConverter, type Converter } from 'tslab/dist/converter';
import { createExecutor, type ConverterSet, type Executor } from 'tslab/dist/executor';
import { printQuickInfo } from 'tslab/dist/inspect';
import path from 'node:path';
import { fromCodePointOffset, toCodePointOffset } from './code-points';
import { packageRoot } from './package-root';
import { isComplete, type Completeness } from './is-complete';
import { installTypeCheckAlias } from './module-alias';
import { installTslabDisplayHook } from './output';

/** An error as Jupyter shows it. */
export interface ExecutionError {
  ename: string;
  evalue: string;
  traceback: string[];
  /** The thrown value, when code threw. */
  thrown?: unknown;
}

/** What one execution gave. */
export type ExecuteOutcome =
  { status: 'ok'; hasValue: boolean; value?: unknown } | { status: 'error'; error: ExecutionError };

/** A completion answer, in code points. */
export interface Completion {
  matches: string[];
  cursorStart: number;
  cursorEnd: number;
}

export type { Completeness } from './is-complete';

/** A type-check diagnostic as tslab prints it. */
interface Diagnostic {
  file: string;
  line: number;
  column: number;
  message: string;
}

interface Capture {
  hasValue: boolean;
  value: unknown;
  diagnostics: Diagnostic[];
  thrown: unknown[];
}

const DIAGNOSTIC_FORMAT = '%s%d:%d - %s';
const RED = '\u001b[0;31m';
const RESET = '\u001b[0m';

class LazyConverters implements ConverterSet {
  private nodeConverter?: Converter;
  private browserConverter?: Converter;

  get node(): Converter {
    return (this.nodeConverter ??= createConverter({ isJS: false, isBrowser: false }));
  }

  get browser(): Converter {
    return (this.browserConverter ??= createConverter({ isJS: false, isBrowser: true }));
  }

  close = (): void => {
    this.nodeConverter?.close();
    this.browserConverter?.close();
  };
}

/** Runs TypeScript cells with tslab's converter and executor. */
export class ExecuteEngine {
  private readonly executor: Executor;
  private readonly converters = new LazyConverters();
  private capture: Capture = newCapture();

  /** @param rootDir The notebook's folder: relative imports and `require` resolve from it. */
  constructor(rootDir: string) {
    // `fancyflow`, `zod`, … resolve for the type checker as they do at run time
    installTypeCheckAlias(ts.sys);
    installTslabDisplayHook();
    // tslab reports through this console: `log` gets the last expression's value, `error` gets
    // type-check diagnostics (with DIAGNOSTIC_FORMAT) and thrown values. Cell code's own console
    // is the global one.
    this.executor = createExecutor(rootDir, this.converters, {
      log: (value: unknown) => {
        this.capture.hasValue = true;
        this.capture.value = value;
      },
      error: (first: unknown, ...rest: unknown[]) => {
        if (first === DIAGNOSTIC_FORMAT) {
          this.capture.diagnostics.push({
            file: String(rest[0] ?? ''),
            line: Number(rest[1]),
            column: Number(rest[2]),
            message: String(rest[3]),
          });
        } else {
          this.capture.thrown.push(first);
        }
      },
    });
  }

  /**
   * Type-checks and runs an empty cell, so the type checker's first (slow) run happens at start,
   * not in the user's first cell, where it would also delay an interrupt.
   */
  async warmUp(): Promise<void> {
    await this.execute('export {};');
  }

  /** Type-checks and runs `code`. Never throws: failures are the outcome. */
  async execute(code: string): Promise<ExecuteOutcome> {
    const capture = (this.capture = newCapture());
    let ok: boolean;
    try {
      ok = await this.executor.execute(code);
    } catch (e) {
      capture.thrown.push(e);
      ok = false;
    }
    if (capture.diagnostics.length > 0) {
      return { status: 'error', error: diagnosticsError(code, capture.diagnostics) };
    }
    if (!ok || capture.thrown.length > 0) {
      return { status: 'error', error: thrownError(capture.thrown[0]) };
    }
    return capture.hasValue
      ? { status: 'ok', hasValue: true, value: capture.value }
      : { status: 'ok', hasValue: false };
  }

  /** Completions at `cursorPos` (code points). */
  complete(code: string, cursorPos: number): Completion {
    const info = this.executor.complete(code, fromCodePointOffset(code, cursorPos));
    return {
      matches: info.candidates,
      cursorStart: toCodePointOffset(code, info.start),
      cursorEnd: toCodePointOffset(code, info.end),
    };
  }

  /** Quick info (type and docs) of the symbol at `cursorPos` (code points), or undefined. */
  inspect(code: string, cursorPos: number): string | undefined {
    const at = fromCodePointOffset(code, cursorPos);
    // The cursor usually sits just after the name (`Math.max|`): try there, then one back.
    for (const position of [at, at - 1]) {
      if (position < 0) continue;
      const info = this.executor.inspect(code, position);
      if (info) return printQuickInfo(info);
    }
    return undefined;
  }

  /** Whether `code` is a complete cell (a console's Enter key): see `is-complete.ts`. */
  isComplete(code: string): Completeness {
    return isComplete(code);
  }

  /** Rejects the pending top-level await of the running cell (a synchronous loop needs SIGINT). */
  interrupt(): void {
    this.executor.interrupt();
  }

  /** Releases the type checker's watchers so the process can exit. */
  close(): void {
    this.executor.close();
  }
}

function newCapture(): Capture {
  return { hasValue: false, value: undefined, diagnostics: [], thrown: [] };
}

function diagnosticsError(code: string, diagnostics: Diagnostic[]): ExecutionError {
  const lines = code.split('\n');
  const traceback: string[] = [];
  for (const d of diagnostics) {
    const where = `${d.file ? `${d.file} ` : ''}${d.line}:${d.column}`;
    traceback.push(`${RED}${where}${RESET} - ${d.message}`);
    const source = d.file ? undefined : lines[d.line - 1];
    if (source !== undefined) {
      traceback.push(`    ${source}`);
      traceback.push(`    ${' '.repeat(Math.max(0, d.column - 1))}^`);
    }
  }
  const first = diagnostics[0]!;
  return {
    ename: 'TSError',
    evalue: `${first.line}:${first.column} - ${first.message}${diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : ''}`,
    traceback,
  };
}

const INTERRUPT_MESSAGES = ['Interrupted asynchronously', 'Script execution was interrupted'];

/** The stack frames that belong to the cell (the kernel's own frames are dropped). */
function cellFrames(stack: string): string[] {
  const frames: string[] = [];
  // Node puts the failing JavaScript line and a caret before the message of errors thrown by vm
  // code: only the `at …` frames are kept.
  const lines = stack.split('\n');
  const first = lines.findIndex((l) => /^\s+at /.test(l));
  if (first < 0) return frames;
  for (const line of lines.slice(first)) {
    if (/[\\/]tslab[\\/]dist[\\/]|node:internal/.test(line)) break;
    // fancyflow's own frames (the Orchestrator calling a step) say nothing about the cell
    if (line.includes(OWN_CODE)) continue;
    frames.push(line);
  }
  return frames;
}

const OWN_CODE = path.join(packageRoot, 'dist') + path.sep;

/** Describes a thrown value as Jupyter's error (`ename`, `evalue`, `traceback`). */
export function thrownError(thrown: unknown): ExecutionError {
  if (
    thrown instanceof Error ||
    (typeof thrown === 'object' && thrown !== null && 'message' in thrown)
  ) {
    const e = thrown as Error & { code?: unknown };
    const message = String(e.message);
    if (INTERRUPT_MESSAGES.some((m) => message.startsWith(m))) {
      return {
        ename: 'Interrupted',
        evalue: message,
        traceback: [`${RED}Interrupted${RESET}: ${message}`],
        thrown,
      };
    }
    const ename = String(e.name ?? 'Error');
    const evalue =
      ename === 'FancyflowError' && typeof e.code === 'string' ? `${e.code}: ${message}` : message;
    const frames = typeof e.stack === 'string' ? cellFrames(e.stack) : [];
    const traceback = [`${RED}${ename}${RESET}: ${evalue}`, ...frames];
    // a step's own error (what its function threw) is where the user looks
    const cause = (e as { cause?: unknown }).cause;
    if (cause instanceof Error) {
      traceback.push(`${RED}Caused by${RESET} ${cause.name}: ${cause.message}`);
      if (typeof cause.stack === 'string') traceback.push(...cellFrames(cause.stack));
    }
    return { ename, evalue, traceback, thrown };
  }
  const evalue = thrown === undefined ? 'the cell failed' : String(thrown);
  return { ename: 'Error', evalue, traceback: [`${RED}Uncaught${RESET} ${evalue}`], thrown };
}
