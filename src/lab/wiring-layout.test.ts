import { describe, expect, it } from 'vitest';
import { layoutWiring, type WiringInput } from './wiring-layout';

describe('layoutWiring', () => {
  const steps: WiringInput[] = [
    { id: 's1', label: 'read', wiring: {} },
    { id: 's2', label: 'clean', wiring: { table: 's1' } },
    { id: 's3', label: 'join', wiring: { left: 's2', right: 'outside' } },
    { id: 's4', label: 'chart', wiring: { table: 's1' } },
  ];

  it('has a node per step in order, outside cells just above their first reader', () => {
    const layout = layoutWiring(steps, { cellLabels: new Map([['outside', 'lookup']]) });
    expect(layout.nodes.map((n) => [n.id, n.kind, n.label])).toEqual([
      ['s1', 'step', 'read'],
      ['s2', 'step', 'clean'],
      ['outside', 'cell', 'lookup'],
      ['s3', 'step', 'join'],
      ['s4', 'step', 'chart'],
    ]);
    const ys = layout.nodes.map((n) => n.y);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
    expect(layout.height).toBeGreaterThanOrEqual(ys.at(-1)!);
  });

  it('has an edge per wired argument: straight to the next row, an arc further', () => {
    const layout = layoutWiring(steps, { rowHeight: 20, arcStep: 10 });
    expect(layout.edges.map((e) => `${e.from}->${e.to}:${e.argument}`)).toEqual([
      's1->s2:table',
      's2->s3:left',
      'outside->s3:right',
      's1->s4:table',
    ]);
    const byId = Object.fromEntries(layout.edges.map((e) => [`${e.from}->${e.to}`, e.d]));
    expect(byId['s1->s2']).toMatch(/^M [\d.]+ 10 L [\d.]+ 30$/);
    expect(byId['s2->s3']).toContain(' C '); // spans two rows (the outside cell sits between)
    // the longer arc bulges further left than the shorter one
    const bulge = (d: string) => Number(d.split(' C ')[1]!.split(' ')[0]);
    expect(bulge(byId['s1->s4']!)).toBeLessThan(bulge(byId['s2->s3']!));
    for (const e of layout.edges) expect(e.d).not.toContain('NaN');
    expect(
      Math.min(...layout.edges.map((e) => (e.d.includes(' C ') ? bulge(e.d) : 0))),
    ).toBeGreaterThanOrEqual(0);
  });

  it('draws nothing for forward or self references, and copes with no steps', () => {
    expect(layoutWiring([{ id: 'a', label: 'a', wiring: { x: 'a' } }]).edges).toEqual([]);
    expect(layoutWiring([]).nodes).toEqual([]);
  });
});
