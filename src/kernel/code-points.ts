/**
 * Jupyter counts cursor positions in Unicode code points; JavaScript strings index UTF-16 units.
 */

/** The UTF-16 index of code point offset `offset` in `text`. */
export function fromCodePointOffset(text: string, offset: number): number {
  let units = 0;
  let points = 0;
  while (points < offset && units < text.length) {
    const code = text.charCodeAt(units);
    units += code >= 0xd800 && code <= 0xdbff && units + 1 < text.length ? 2 : 1;
    points++;
  }
  return units;
}

/** The code point offset of UTF-16 index `index` in `text`. */
export function toCodePointOffset(text: string, index: number): number {
  let points = 0;
  let units = 0;
  while (units < index && units < text.length) {
    const code = text.charCodeAt(units);
    units += code >= 0xd800 && code <= 0xdbff && units + 1 < text.length ? 2 : 1;
    points++;
  }
  return points;
}
