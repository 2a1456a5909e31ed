/**
 * The inputs (and text outputs) of this kernel's executions, for `history_request`: tail, range
 * and search, as IPython answers them. One session per kernel process (session number 1).
 */

/** One history entry: session, line number, input or [input, output]. */
export type HistoryEntry = [number, number, string] | [number, number, [string, string | null]];

/** The fields of a history_request this kernel reads. */
export interface HistoryQuery {
  hist_access_type?: unknown;
  output?: unknown;
  session?: unknown;
  start?: unknown;
  stop?: unknown;
  n?: unknown;
  pattern?: unknown;
  unique?: unknown;
}

interface Line {
  number: number;
  input: string;
  output: string | null;
}

/** The session number of this kernel's history (there is only the current session). */
export const HISTORY_SESSION = 1;

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 's');
}

/** Inputs of executions that asked for `store_history`. */
export class History {
  private readonly lines: Line[] = [];

  /** Records input `input` under execution count `number`. */
  record(number: number, input: string): void {
    this.lines.push({ number, input, output: null });
  }

  /** Records the text output of execution `number`. */
  recordOutput(number: number, output: string): void {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      if (this.lines[i]!.number === number) {
        this.lines[i]!.output = output;
        return;
      }
    }
  }

  /** Answers a history request. */
  query(request: HistoryQuery): HistoryEntry[] {
    const withOutput = request.output === true;
    const n = typeof request.n === 'number' && request.n >= 0 ? request.n : undefined;
    let selected: Line[];
    switch (request.hist_access_type) {
      case 'range': {
        const session = typeof request.session === 'number' ? request.session : 0;
        // IPython: session 0 (or negative offsets) means the current session.
        if (session > 0 && session !== HISTORY_SESSION) return [];
        const start = typeof request.start === 'number' ? request.start : 0;
        const stop = typeof request.stop === 'number' ? request.stop : Number.POSITIVE_INFINITY;
        selected = this.lines.filter((l) => l.number >= start && l.number < stop);
        break;
      }
      case 'search': {
        const pattern = typeof request.pattern === 'string' ? request.pattern : '*';
        const re = globToRegExp(pattern);
        selected = this.lines.filter((l) => re.test(l.input));
        if (request.unique === true) {
          const seen = new Set<string>();
          const unique: Line[] = [];
          for (let i = selected.length - 1; i >= 0; i--) {
            const line = selected[i]!;
            if (seen.has(line.input)) continue;
            seen.add(line.input);
            unique.unshift(line);
          }
          selected = unique;
        }
        if (n !== undefined) selected = selected.slice(Math.max(0, selected.length - n));
        break;
      }
      case 'tail':
      default:
        selected =
          n === undefined ? this.lines : this.lines.slice(Math.max(0, this.lines.length - n));
        break;
    }
    return selected.map((l): HistoryEntry =>
      withOutput
        ? [HISTORY_SESSION, l.number, [l.input, l.output]]
        : [HISTORY_SESSION, l.number, l.input],
    );
  }
}
