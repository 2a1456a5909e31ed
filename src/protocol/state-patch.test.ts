import { describe, expect, it } from 'vitest';
import type { WorkflowState } from './messages';
import { applyStatePatch, changedKeys, SentState } from './state-patch';

function cell(id: string, rows: number): WorkflowState['cells'][number] {
  return {
    id,
    uri: `memory://${id}`,
    kind: 'table',
    fingerprint: `fp-${id}-${rows}`,
    summary: { shape: [rows, 2] },
  } as WorkflowState['cells'][number];
}

function state(steps: number, rows = 10, running = false): WorkflowState {
  const ids = Array.from({ length: steps }, (_, i) => `s${i}`);
  return {
    workflow: {
      formatVersion: 2,
      steps: ids.map((id) => ({ id, slug: 'limit', version: '1.0.0', wiring: {}, config: {} })),
      modules: ['fancyflow'],
      definitions: {},
      metadata: {},
    } as unknown as WorkflowState['workflow'],
    statuses: Object.fromEntries(
      ids.map((id) => [id, { stepId: id, slug: 'limit', name: id, status: 'completed' }]),
    ) as WorkflowState['statuses'],
    cells: ids.map((id) => cell(id, rows)),
    names: Object.fromEntries(ids.map((id) => [`name_${id}`, id])),
    running,
    executed: Object.fromEntries(ids.map((id, i) => [id, i + 1])),
    definitions: {},
    records: {},
  };
}

describe('state patches', () => {
  it('names the entries of a map field it sets or removes (undefined when replaced whole)', () => {
    const a = state(3);
    const sent = SentState.of(a);
    const b = state(2);
    b.statuses['s0'] = { ...b.statuses['s0']!, status: 'failed' };
    const patch = sent.diff(b);
    expect(changedKeys(patch, 'statuses')?.sort()).toEqual(['s0', 's2']);
    expect(changedKeys(patch, 'records')).toEqual([]);
    expect(changedKeys({ statuses: { value: {} } }, 'statuses')).toBeUndefined();
  });

  it('applying the patch to the state sent before gives the new state', () => {
    const a = state(3);
    const sent = SentState.of(a);
    let b = state(4, 10, true);
    b.cells[1] = cell('s1', 99);
    b = { ...b, names: { name_s0: 's0', renamed: 's1' } };
    const patch = sent.diff(b);
    expect(applyStatePatch(a, patch)).toEqual(b);
    // only what changed travels: one new step, one changed cell, the names and `running`
    expect(Object.keys(patch).sort()).toEqual(
      ['cells', 'executed', 'names', 'running', 'statuses', 'workflow'].sort(),
    );
    expect(Object.keys((patch.cells as { items: object }).items)).toEqual(['s1', 's3']);
    expect(patch.names).toEqual({ set: { renamed: 's1' }, unset: ['name_s1', 'name_s2'] });
  });

  it('a state like the one sent before makes an empty patch, and the patch stays small', () => {
    const sent = SentState.of(state(50));
    expect(sent.diff(state(50))).toEqual({});
    const next = state(50);
    next.cells[49] = cell('s49', 3);
    next.executed['s49'] = 51;
    const patch = sent.diff(next);
    expect(JSON.stringify(patch).length).toBeLessThan(JSON.stringify(next).length / 20);
  });

  it('removes and reorders items and follows a sequence of states', () => {
    const states = [state(5), state(2), state(6), state(6, 7), state(0)];
    states[2]!.cells.reverse();
    let seen = states[0]!;
    const sent = SentState.of(seen);
    for (const next of states.slice(1)) {
      seen = applyStatePatch(seen, sent.diff(next));
      expect(seen).toEqual(next);
    }
  });

  it('keeps ids like __proto__ as entries (a hostile notebook names its cells)', () => {
    const a = state(1);
    const sent = SentState.of(a);
    const b = state(1);
    b.cells.push(cell('__proto__', 1));
    b.names = JSON.parse('{"__proto__": "s0", "constructor": "s0"}') as Record<string, string>;
    const patch = JSON.parse(JSON.stringify(sent.diff(b))) as ReturnType<SentState['diff']>;
    const applied = applyStatePatch(a, patch);
    expect(applied.cells.map((c) => c.id)).toEqual(['s0', '__proto__']);
    expect(Object.keys(applied.names).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(applied.names)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['s0']).toBeUndefined();
  });
});
