/**
 * The few ANSI escapes the CLI draws with. Plain escapes on purpose: live progress needs only
 * "clear the line" and colours, not a terminal UI library.
 */

/** Moves to the start of the line and clears it. */
export const CLEAR_LINE = '\r\x1b[2K';
/** Hides the cursor while a live line is drawn. */
export const HIDE_CURSOR = '\x1b[?25l';
/** Shows the cursor again. */
export const SHOW_CURSOR = '\x1b[?25h';

/** A colour function: wraps text in an SGR code, or returns it as is when colours are off. */
export type Paint = (text: string) => string;

/** The colours the CLI uses, as no-ops when `enabled` is false. */
export interface Palette {
  green: Paint;
  red: Paint;
  yellow: Paint;
  cyan: Paint;
  dim: Paint;
  bold: Paint;
}

const sgr =
  (open: number, close: number): Paint =>
  (text) =>
    `\x1b[${open}m${text}\x1b[${close}m`;

const identity: Paint = (text) => text;

/** The palette: real colours when `enabled`, identity functions otherwise. */
export function palette(enabled: boolean): Palette {
  if (!enabled) {
    return {
      green: identity,
      red: identity,
      yellow: identity,
      cyan: identity,
      dim: identity,
      bold: identity,
    };
  }
  return {
    green: sgr(32, 39),
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
    dim: sgr(2, 22),
    bold: sgr(1, 22),
  };
}

/** `text` cut to `width` visible characters (no escapes inside `text`), with an ellipsis. */
export function truncate(text: string, width: number): string {
  if (width <= 0 || text.length <= width) return text;
  return width === 1 ? '…' : text.slice(0, width - 1) + '…';
}
