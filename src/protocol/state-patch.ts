/**
 * What changed in a {@link WorkflowState} since the one sent before: the kernel pushes this after
 * a cell instead of the whole state, which grows with the notebook (during a run-all of 50 steps
 * the whole state was ~130 KB a cell, 6 MB a run, parsed and applied on the page's main thread
 * while the next steps' status events waited behind it). The state stays the kernel's; the patch
 * is derived from two of them, and applying it to the first gives the second.
 *
 * Two levels: a field whose value is a plain object changes by entry (`statuses`, `records`,
 * the workflow document's fields, …); an array of objects with an `id` changes by item (`cells`),
 * with its order when that changed; anything else is replaced whole.
 */
import type { WorkflowState } from './messages';

/** How one field of the state changed. */
export type FieldPatch =
  /** Replaced whole. */
  | { value: unknown }
  /** Entries set (new or changed) and removed. */
  | { set: Record<string, unknown>; unset?: string[] }
  /** Items (by `id`) new or changed, and the ids in order when the order or the ids changed. */
  | { items: Record<string, unknown>; order?: string[] };

/** The changed fields of a {@link WorkflowState}; an unchanged field is absent. */
export type StatePatch = Partial<Record<keyof WorkflowState, FieldPatch>>;

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isKeyed(value: unknown): value is { id: string }[] {
  return (
    Array.isArray(value) && value.every((item) => isPlain(item) && typeof item.id === 'string')
  );
}

/**
 * A state as last sent, kept as JSON text per entry so the next patch compares text (the values
 * themselves are rebuilt for every state).
 */
export class SentState {
  private readonly fields = new Map<
    string,
    { kind: 'value' | 'set' | 'items'; json: Map<string, string>; order?: string[] }
  >();

  /** Remembers `state` as sent whole. */
  static of(state: WorkflowState): SentState {
    const sent = new SentState();
    sent.diff(state);
    return sent;
  }

  /** The patch from the state sent before to `state`, which becomes the one sent. */
  diff(state: WorkflowState): StatePatch {
    const patch: StatePatch = {};
    for (const [key, value] of Object.entries(state) as [keyof WorkflowState, unknown][]) {
      const field = this.fields.get(key);
      if (isKeyed(value) && (!field || field.kind === 'items')) {
        const json = new Map(value.map((item) => [item.id, JSON.stringify(item)]));
        const order = value.map((item) => item.id);
        // fromEntries: an id like `__proto__` stays an entry
        const items: Plain = Object.fromEntries(
          value
            .filter((item) => field?.json.get(item.id) !== json.get(item.id))
            .map((item) => [item.id, item]),
        );
        const reordered = !field || !sameOrder(field.order ?? [], order);
        if (reordered || Object.keys(items).length > 0)
          patch[key] = reordered ? { items, order } : { items };
        this.fields.set(key, { kind: 'items', json, order });
      } else if (isPlain(value) && (!field || field.kind === 'set')) {
        const json = new Map(Object.entries(value).map(([k, v]) => [k, JSON.stringify(v)]));
        const set: Plain = Object.fromEntries(
          Object.entries(value).filter(([k]) => field?.json.get(k) !== json.get(k)),
        );
        const unset = field ? [...field.json.keys()].filter((k) => !json.has(k)) : [];
        if (Object.keys(set).length > 0 || unset.length > 0)
          patch[key] = unset.length > 0 ? { set, unset } : { set };
        this.fields.set(key, { kind: 'set', json });
      } else {
        const text = JSON.stringify(value);
        if (field?.json.get('') !== text) patch[key] = { value };
        this.fields.set(key, { kind: 'value', json: new Map([['', text]]) });
      }
    }
    return patch;
  }
}

function sameOrder(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/**
 * The entries of a map field (`statuses`, `records`, …) that `patch` sets or removes: none when
 * the field is not in the patch, undefined when it is replaced whole (any entry may differ).
 */
export function changedKeys(patch: StatePatch, key: keyof WorkflowState): string[] | undefined {
  const change = patch[key];
  if (!change) return [];
  if (!('set' in change)) return undefined;
  return [...Object.keys(change.set), ...(change.unset ?? [])];
}

/** The state `patch` makes of `state` (which is left as it is). */
export function applyStatePatch(state: WorkflowState, patch: StatePatch): WorkflowState {
  const next = new Map<string, unknown>(Object.entries(state));
  for (const [key, change] of Object.entries(patch) as [string, FieldPatch][]) {
    const current = next.get(key);
    if ('value' in change) {
      next.set(key, change.value);
    } else if ('set' in change) {
      const unset = new Set(change.unset);
      const before = isPlain(current) ? Object.entries(current) : [];
      next.set(
        key,
        Object.fromEntries([
          ...before.filter(([k]) => !unset.has(k)),
          ...Object.entries(change.set),
        ]),
      );
    } else {
      const before = isKeyed(current) ? current : [];
      const byId = new Map<string, unknown>(before.map((item) => [item.id, item]));
      for (const [id, item] of Object.entries(change.items)) byId.set(id, item);
      const order = change.order ?? before.map((item) => item.id);
      next.set(
        key,
        order.filter((id) => byId.has(id)).map((id) => byId.get(id)),
      );
    }
  }
  return Object.fromEntries(next) as unknown as WorkflowState;
}
