/**
 * How the CLI writes durations, output shapes and aligned columns.
 */
import type { CellSummary } from '../core';

/** `0.42 ms`, `3.1 ms`, `12 ms`, `1.25 s`, `2m 05s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1000);
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

/** An output's type and shape: `arquero.ColumnTable [398 × 9]`, `array [5]`, `number`. */
export function formatOutput(summary: CellSummary | undefined): string {
  if (!summary) return '-';
  const shape = summary.shape ? ` [${summary.shape.join(' × ')}]` : '';
  return `${summary.type}${shape}`;
}

/** One cell of a laid-out table: its plain text, and how to paint it once padded. */
export interface TextCell {
  text: string;
  paint?: (text: string) => string;
}

/**
 * Aligns rows of cells into columns separated by two spaces (the last column is not padded).
 * Widths are measured on the plain text, so colours do not break the alignment.
 */
export function layoutColumns(rows: readonly (readonly (TextCell | string)[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      const text = typeof cell === 'string' ? cell : cell.text;
      widths[i] = Math.max(widths[i] ?? 0, text.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const { text, paint } = typeof cell === 'string' ? { text: cell, paint: undefined } : cell;
        const padded = i === row.length - 1 ? text : text.padEnd(widths[i]!);
        return paint ? paint(padded) : padded;
      })
      .join('  ')
      .trimEnd(),
  );
}

/** Breaks `text` into lines of at most `width` characters (words longer than that stay whole). */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    out.push(line);
  }
  return out;
}
