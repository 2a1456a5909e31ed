import { describe, expect, it } from 'vitest';
import type { Freshness } from '../core/freshness';
import { badgeState, reasonLines, staleStepIds, staleTitle, stateText } from './staleness';

const fresh = (stepId: string): Freshness => ({
  stepId,
  fresh: true,
  reasons: [],
  codeKnown: true,
});
const configChanged: Freshness = {
  stepId: 'clean',
  fresh: false,
  reasons: [{ kind: 'config', changes: [{ path: 'threshold', from: 0, to: 0.1 }] }],
  codeKnown: true,
};
const upstream: Freshness = {
  stepId: 'derive',
  fresh: false,
  reasons: [{ kind: 'upstream', stepId: 'clean' }],
  codeKnown: true,
};
const names = new Map([
  ['clean', 'clean'],
  ['7f3e2c1a-0000-4000-8000-000000000001', 'cars'],
]);
const label = (id: string) => names.get(id) ?? id;

describe('badgeState', () => {
  it('a completed or cached step is stale when what it reads changed, upstream stale when only a step above is', () => {
    expect(badgeState('completed', { freshness: configChanged, recorded: true })).toBe('stale');
    expect(badgeState('cached', { freshness: configChanged, recorded: true })).toBe('stale');
    expect(badgeState('completed', { freshness: upstream, recorded: true })).toBe('upstream-stale');
    const both: Freshness = {
      ...upstream,
      reasons: [...upstream.reasons, { kind: 'code', slug: 'derive' }],
    };
    expect(badgeState('completed', { freshness: both, recorded: true })).toBe('stale');
  });

  it('fresh steps show their status, cached as its own state', () => {
    expect(badgeState('completed', { freshness: fresh('a'), recorded: true })).toBe('completed');
    expect(badgeState('cached', { freshness: fresh('a'), recorded: true })).toBe('cached');
  });

  it('running, pending and failed steps show their status whatever changed', () => {
    for (const status of ['running', 'pending', 'failed', 'skipped', 'cancelled'] as const) {
      expect(badgeState(status, { freshness: configChanged, recorded: true })).toBe(status);
    }
  });

  it('a saved status without a record of its run is shown as saved (nothing to judge it by)', () => {
    const never: Freshness = {
      stepId: 'a',
      fresh: false,
      reasons: [{ kind: 'never-run' }],
      codeKnown: false,
    };
    expect(badgeState('completed', { freshness: never, recorded: false })).toBe('completed');
    expect(badgeState('completed', { recorded: true })).toBe('completed');
  });
});

describe('reasons', () => {
  it('reads as lines naming cells and steps, never their ids', () => {
    const input: Freshness = {
      stepId: 'clean',
      fresh: false,
      reasons: [{ kind: 'input', argument: 'table', cell: '7f3e2c1a-0000-4000-8000-000000000001' }],
      codeKnown: true,
    };
    const lines = reasonLines(
      [...configChanged.reasons, ...input.reasons, ...upstream.reasons],
      label,
    );
    expect(lines).toEqual([
      'config changed (threshold 0 → 0.1)',
      'input cars changed (argument table)',
      'upstream clean is stale',
    ]);
    expect(lines.join('\n')).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}/);
  });

  it('the hover text says the state, then why', () => {
    expect(staleTitle('stale', configChanged.reasons, label)).toBe(
      'stale:\n• config changed (threshold 0 → 0.1)',
    );
    expect(stateText('upstream-stale')).toBe('upstream stale');
  });
});

describe('staleStepIds', () => {
  it('lists the steps that are not fresh, in order, leaving the ones judged by nothing', () => {
    const never: Freshness = {
      stepId: 'old',
      fresh: false,
      reasons: [{ kind: 'never-run' }],
      codeKnown: true,
    };
    const verdicts = [fresh('read'), configChanged, never, upstream];
    expect(staleStepIds(verdicts)).toEqual(['clean', 'old', 'derive']);
    expect(staleStepIds(verdicts, (id) => id === 'old')).toEqual(['clean', 'derive']);
    expect(staleStepIds([fresh('a')])).toEqual([]);
  });
});
