/**
 * Names of datum files. A name says everything needed to read the file back without the index
 * (`<cell id>~<generation>.<tag>.<ext>`: the tag is the table family or the typed-array class), so
 * a lost or corrupt index can be rebuilt from the folder.
 */

/** How a datum is stored. */
export type DatumFormat = 'arrow' | 'json' | 'bytes';

const EXTENSIONS: Record<DatumFormat, string> = { arrow: 'arrow', json: 'json', bytes: 'bin' };

/** What a datum file's name says. */
export interface DatumFileName {
  cellId: string;
  generation: number;
  format: DatumFormat;
  /** `arrow` / `arquero` for tables, the class name for bytes, `json` for JSON. */
  tag: string;
}

/** Longest encoded cell id kept readable in a file name (file names are limited to 255 bytes). */
const MAX_ID_CHARS = 160;

/** The cell id as file-name-safe text: letters, digits, `_` and `-` as they are, the rest %XX. */
function encodeId(cellId: string): string {
  return encodeURIComponent(cellId).replace(
    /[.!~*'()]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The file name of a datum. Very long cell ids are cut and marked, so they cannot be recovered
 * from the name alone (the index still holds them). */
export function datumFileName(name: DatumFileName): string {
  let id = encodeId(name.cellId);
  if (id.length > MAX_ID_CHARS) id = `%00${id.slice(0, MAX_ID_CHARS)}`;
  return `${id}~${name.generation}.${name.tag}.${EXTENSIONS[name.format]}`;
}

const PATTERN = /^([A-Za-z0-9_%-]+)~(\d+)\.([A-Za-z0-9]+)\.(arrow|json|bin)$/;

/** Parses a datum file name; undefined for other files (and for cut ids). */
export function parseDatumFileName(file: string): DatumFileName | undefined {
  const m = PATTERN.exec(file);
  if (!m || m[1]!.startsWith('%00')) return undefined;
  let cellId: string;
  try {
    cellId = decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
  const format: DatumFormat = m[4] === 'arrow' ? 'arrow' : m[4] === 'json' ? 'json' : 'bytes';
  return { cellId, generation: Number(m[2]), format, tag: m[3]! };
}
