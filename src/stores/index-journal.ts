/**
 * The disk store's index journal (`index.journal`): the changes made to the index since
 * `index.json` was last written, one line each, so that a write appends one line (constant time)
 * instead of rewriting the whole index (time in proportion to the cells). The store folds the
 * journal into `index.json` (compaction) once it has as many lines as the index has cells, so a
 * write costs constant time on average and an open reads at most twice the index.
 *
 * A line is `<checksum>\t<JSON>\n`, the checksum (XXH3) of the JSON's UTF-8 bytes. The first line
 * names the journal (`{"journal": id}`); `index.json` names the journal that continues it, so a
 * journal left by a compaction that stopped halfway (the new index written, the old journal not yet
 * replaced) is recognised as already folded in and ignored. A last line without its newline is a
 * write that was cut short (a process killed mid-line, a power loss): it is ignored, and the next
 * writer cuts it off before appending. A complete line that fails its checksum is damage.
 */
import { checksumOf } from './checksum';

/** The journal file's name inside the store folder. */
export const JOURNAL_FILE = 'index.journal';

/** One line of the journal. */
export type JournalRecord =
  /** the first line: the journal's id, which `index.json` names */
  | { journal: string }
  /** a cell's entry set (added or replaced: it moves to the end), with the store's generation */
  | { set: unknown; generation: number }
  /** a cell removed */
  | { delete: string };

/** A journal line's bytes. */
export function journalLine(record: JournalRecord): Buffer {
  const json = Buffer.from(JSON.stringify(record), 'utf8');
  const head = Buffer.from(`${checksumOf([json])}\t`, 'latin1');
  return Buffer.concat([head, json, NEWLINE]);
}

const NEWLINE = Buffer.from('\n');
const TAB = 0x09;
const LF = 0x0a;

/** The complete lines of some journal bytes, checked. */
export interface JournalLines {
  records: JournalRecord[];
  /** The bytes the complete lines take (where a torn last line starts). */
  consumed: number;
  /** True when bytes follow the last complete line (a line cut short). */
  torn: boolean;
}

/**
 * Parses journal bytes that start at a line boundary. Throws an Error saying which line (counting
 * from `firstLine`) is damaged when a complete line fails its checksum or is not a record.
 */
export function parseJournal(bytes: Uint8Array, firstLine: number): JournalLines {
  const records: JournalRecord[] = [];
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  for (let line = firstLine; ; line++) {
    const end = buffer.indexOf(LF, at);
    if (end < 0) break;
    const tab = buffer.indexOf(TAB, at);
    if (tab < 0 || tab > end) throw new Error(`line ${line} has no checksum`);
    const json = buffer.subarray(tab + 1, end);
    if (buffer.toString('latin1', at, tab) !== checksumOf([json])) {
      throw new Error(`line ${line} does not match its checksum (changed or damaged in place)`);
    }
    records.push(parseRecord(json.toString('utf8'), line));
    at = end + 1;
  }
  return { records, consumed: at, torn: at < buffer.byteLength };
}

function parseRecord(text: string, line: number): JournalRecord {
  const value = JSON.parse(text) as unknown;
  if (typeof value === 'object' && value !== null) {
    const r = value as Record<string, unknown>;
    if (typeof r.journal === 'string') return { journal: r.journal };
    if (typeof r.delete === 'string') return { delete: r.delete };
    if ('set' in r && typeof r.generation === 'number') {
      return { set: r.set, generation: r.generation };
    }
  }
  throw new Error(`line ${line} is not a journal record`);
}
