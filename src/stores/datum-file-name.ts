/**
 * Names of datum files. A name says everything needed to read and check the file without the
 * index (`<cell id>~<generation>.<tag>.<checksum>.<ext>`: the tag is the table family or the
 * typed-array class; the checksum is `xxh3-<16 hex>`), so a lost or corrupt index can be rebuilt
 * from the folder with every file still checked. Names of earlier versions have no checksum.
 */
import { isChecksum } from './checksum';

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
  /** The checksum of the file's bytes (`xxh3:<hex>`); absent in names of earlier versions. */
  checksum?: string;
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
  const checksum = name.checksum ? `.${name.checksum.replace(':', '-')}` : '';
  return `${id}~${name.generation}.${name.tag}${checksum}.${EXTENSIONS[name.format]}`;
}

const PATTERN =
  /^([A-Za-z0-9_%-]+)~(\d+)\.([A-Za-z0-9]+)(?:\.([a-z0-9]+-[0-9a-f]+))?\.(arrow|json|bin)$/;

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
  const checksum = m[4]?.replace('-', ':');
  if (checksum !== undefined && !isChecksum(checksum)) return undefined;
  const format: DatumFormat = m[5] === 'arrow' ? 'arrow' : m[5] === 'json' ? 'json' : 'bytes';
  return {
    cellId,
    generation: Number(m[2]),
    format,
    tag: m[3]!,
    ...(checksum ? { checksum } : {}),
  };
}
