/**
 * Static pictures of a Vega-Lite spec, rendered in Node: SVG by vega itself (no browser, no
 * canvas), and PNG from that SVG by resvg. A saved notebook then shows its charts where no Vega
 * renderer runs (GitHub, nbviewer, a diff tool), and JupyterLab's Vega renderer, which adds a PNG
 * to any chart output that has none, finds nothing to add: an unchanged notebook opens unmodified.
 * Both libraries load on the first chart only: kernel start does not pay for them.
 *
 * The spec comes from a step's output; rendering it must not reach outside: the loader refuses
 * every URL and file, so only inline `data.values` are drawn.
 */
import type * as Resvg from '@resvg/resvg-js';
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';

/** Specs with more inline rows than this are not drawn (the interactive renderer still is). */
export const MAX_SVG_ROWS = 50_000;

interface Engines {
  vega: typeof Vega;
  vegaLite: typeof VegaLite;
  resvg: typeof Resvg;
}

let engines: Promise<Engines> | undefined;

function load(): Promise<Engines> {
  engines ??= Promise.all([import('vega'), import('vega-lite'), import('@resvg/resvg-js')]).then(
    ([vega, vegaLite, resvg]) => ({ vega, vegaLite, resvg }),
  );
  return engines;
}

/** Text in charts is drawn with the system's fonts (Debian's fonts-dejavu-core here). */
const FONTS = {
  loadSystemFonts: true,
  defaultFontFamily: 'DejaVu Sans',
  sansSerifFamily: 'DejaVu Sans',
};

function inlineRows(spec: Record<string, unknown>): number {
  let rows = 0;
  const visit = (node: unknown, depth: number): void => {
    if (depth > 8 || typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item, depth + 1);
      return;
    }
    const record = node as Record<string, unknown>;
    const data = record['data'];
    if (
      typeof data === 'object' &&
      data !== null &&
      Array.isArray((data as { values?: unknown }).values)
    ) {
      rows += (data as { values: unknown[] }).values.length;
    }
    for (const key of ['layer', 'hconcat', 'vconcat', 'concat', 'spec'])
      visit(record[key], depth + 1);
  };
  visit(spec, 0);
  return rows;
}

/** Why a spec was not drawn, or its pictures: SVG text and PNG bytes as base64. */
export type PictureResult = { ok: true; svg: string; png: string } | { ok: false; reason: string };

/** Renders a Vega-Lite spec (v5) to SVG and PNG. Never throws: a failure is a reason. */
export async function vegaLiteToPictures(spec: Record<string, unknown>): Promise<PictureResult> {
  const rows = inlineRows(spec);
  if (rows > MAX_SVG_ROWS) {
    return {
      ok: false,
      reason: `${rows} rows are more than a static picture shows (${MAX_SVG_ROWS})`,
    };
  }
  try {
    const { vega, vegaLite, resvg } = await load();
    const compiled = vegaLite.compile(spec as unknown as VegaLite.TopLevelSpec).spec;
    const remote = (compiled.data ?? []).find((d) => 'url' in d);
    if (remote) return { ok: false, reason: 'its data would be loaded from a URL or file' };
    const loader = vega.loader();
    const refuse = (uri: string): Promise<never> =>
      Promise.reject(new Error(`a chart's data must be inline, not loaded from ${uri}`));
    loader.load = refuse;
    loader.sanitize = refuse;
    const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader });
    let svg: string;
    try {
      svg = await view.toSVG();
    } finally {
      view.finalize();
    }
    const png = new resvg.Resvg(svg, { font: FONTS }).render().asPng();
    return { ok: true, svg, png: Buffer.from(png).toString('base64') };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}
