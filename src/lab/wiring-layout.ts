/**
 * The layout of the workflow's wiring picture: one node per step in run order (top to bottom),
 * one node per outside cell a step reads (a notebook cell that is not a step), and one edge per
 * wired argument, drawn as an arc on the left whose width grows with the distance it spans so
 * nested arcs stay apart. Pure geometry; the panel renders it as SVG.
 */

/** A step (or outside cell) as the picture needs it. */
export interface WiringInput {
  id: string;
  label: string;
  /** Argument → cell id. */
  wiring: Readonly<Record<string, string>>;
}

/** A node of the picture. */
export interface WiringNode {
  id: string;
  label: string;
  kind: 'step' | 'cell';
  /** Centre of the node's dot. */
  x: number;
  y: number;
}

/** An edge: `from` (a producing node) feeds argument `argument` of `to`. */
export interface WiringEdge {
  from: string;
  to: string;
  argument: string;
  /** The SVG path. */
  d: string;
}

/** The picture. */
export interface WiringLayout {
  width: number;
  height: number;
  nodes: WiringNode[];
  edges: WiringEdge[];
}

/** Sizes of the picture. */
export interface WiringLayoutOptions {
  /** Vertical distance between nodes. Default 28. */
  rowHeight?: number;
  /** Width of the picture. Default 240. */
  width?: number;
  /** Extra arc width per row spanned. Default 10. */
  arcStep?: number;
  /** Names of outside cells (cell id → label). Default: the id. */
  cellLabels?: ReadonlyMap<string, string>;
}

/**
 * Lays out the wiring of `steps` (in run order). Outside cells are placed just above the first
 * step that reads them.
 */
export function layoutWiring(
  steps: readonly WiringInput[],
  options: WiringLayoutOptions = {},
): WiringLayout {
  const rowHeight = options.rowHeight ?? 28;
  const arcStep = options.arcStep ?? 10;
  const stepIds = new Set(steps.map((s) => s.id));
  const order: { id: string; label: string; kind: WiringNode['kind'] }[] = [];
  const placed = new Set<string>();
  for (const step of steps) {
    for (const ref of Object.values(step.wiring)) {
      if (!stepIds.has(ref) && !placed.has(ref)) {
        placed.add(ref);
        order.push({ id: ref, label: options.cellLabels?.get(ref) ?? ref, kind: 'cell' });
      }
    }
    placed.add(step.id);
    order.push({ id: step.id, label: step.label, kind: 'step' });
  }
  const row = new Map<string, number>();
  order.forEach((n, i) => row.set(n.id, i));
  // the widest arc decides how far right the dots sit
  let maxSpan = 1;
  for (const step of steps) {
    for (const ref of Object.values(step.wiring)) {
      maxSpan = Math.max(maxSpan, row.get(step.id)! - (row.get(ref) ?? 0));
    }
  }
  const x = 8 + Math.min(maxSpan, 12) * arcStep;
  const top = rowHeight / 2;
  const nodes: WiringNode[] = order.map((n, i) => ({ ...n, x, y: top + i * rowHeight }));
  const edges: WiringEdge[] = [];
  for (const step of steps) {
    const to = row.get(step.id)!;
    for (const [argument, ref] of Object.entries(step.wiring)) {
      const from = row.get(ref);
      if (from === undefined || from >= to) continue;
      const y1 = top + from * rowHeight;
      const y2 = top + to * rowHeight;
      const span = to - from;
      const d =
        span === 1
          ? `M ${x} ${y1} L ${x} ${y2}`
          : `M ${x} ${y1} C ${x - Math.min(span, 12) * arcStep} ${y1} ${x - Math.min(span, 12) * arcStep} ${y2} ${x} ${y2}`;
      edges.push({ from: ref, to: step.id, argument, d });
    }
  }
  return {
    width: options.width ?? 240,
    height: Math.max(rowHeight, order.length * rowHeight),
    nodes,
    edges,
  };
}
