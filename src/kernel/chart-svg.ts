/**
 * A static SVG picture of a Vega-Lite spec, rendered in Node by vega itself (no browser, no
 * canvas), so a saved notebook shows its charts where no Vega renderer runs (GitHub, nbviewer,
 * a diff tool). Vega is loaded on the first chart only: kernel start does not pay for it.
 *
 * The spec comes from a step's output; rendering it must not reach outside: the loader refuses
 * every URL and file, so only inline `data.values` are drawn.
 */
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';

/** Specs with more inline rows than this are not drawn (the interactive renderer still is). */
export const MAX_SVG_ROWS = 50_000;

interface Engines {
  vega: typeof Vega;
  vegaLite: typeof VegaLite;
}

let engines: Promise<Engines> | undefined;

function load(): Promise<Engines> {
  engines ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vegaLite]) => ({
    vega,
    vegaLite,
  }));
  return engines;
}

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

/** Why a spec was not drawn, or the SVG text. */
export type SvgResult = { ok: true; svg: string } | { ok: false; reason: string };

/** Renders a Vega-Lite spec (v5) to SVG text. Never throws: a failure is a reason. */
export async function vegaLiteToSvg(spec: Record<string, unknown>): Promise<SvgResult> {
  const rows = inlineRows(spec);
  if (rows > MAX_SVG_ROWS) {
    return {
      ok: false,
      reason: `${rows} rows are more than a static picture shows (${MAX_SVG_ROWS})`,
    };
  }
  try {
    const { vega, vegaLite } = await load();
    const compiled = vegaLite.compile(spec as unknown as VegaLite.TopLevelSpec).spec;
    const remote = (compiled.data ?? []).find((d) => 'url' in d);
    if (remote) return { ok: false, reason: 'its data would be loaded from a URL or file' };
    const loader = vega.loader();
    const refuse = (uri: string): Promise<never> =>
      Promise.reject(new Error(`a chart's data must be inline, not loaded from ${uri}`));
    loader.load = refuse;
    loader.sanitize = refuse;
    const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader });
    try {
      return { ok: true, svg: await view.toSVG() };
    } finally {
      view.finalize();
    }
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}
