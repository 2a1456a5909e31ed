/**
 * What a badge says of a step's freshness, as pure functions over the core's verdict (so they
 * test in Node): `stale` when something the step reads changed since its last run (its config, its
 * code, an input), `upstream stale` when only a step it depends on is. The reasons are readable
 * lines: names, never cell ids.
 */
import { hasOutput, type StepStatus } from '../core/format';
import { describeReason, type Freshness, type StaleReason } from '../core/freshness';

/** What a badge shows: the run status, or what the freshness check says of the last run. */
export type BadgeState = StepStatus | 'stale' | 'upstream-stale';

/** The badge text of a freshness state (`upstream stale`). */
export function stateText(state: BadgeState): string {
  return state === 'upstream-stale' ? 'upstream stale' : state;
}

/** True when every reason is an upstream step's (the step itself is as it ran). */
function onlyUpstream(reasons: readonly StaleReason[]): boolean {
  return reasons.length > 0 && reasons.every((r) => r.kind === 'upstream');
}

/**
 * The state a badge shows. A step that is running or has not run shows that; a step whose last
 * run completed (or was answered from the cache) shows `stale` or `upstream stale` when the
 * freshness check says so; a failed, skipped or cancelled step keeps that status (it needs a run
 * whatever changed). Without a record of the last run (`recorded: false`: a notebook saved before
 * records were kept) nothing is known to judge against, and the status shows as saved.
 *
 * @example
 * badgeState('completed', { freshness: { stepId: 'a', fresh: false, codeKnown: true,
 *   reasons: [{ kind: 'upstream', stepId: 'b' }] }, recorded: true }); // 'upstream-stale'
 */
export function badgeState(
  status: StepStatus,
  last: { freshness?: Freshness | undefined; recorded: boolean },
): BadgeState {
  const verdict = last.freshness;
  if (!hasOutput(status) || !verdict || verdict.fresh || !last.recorded) return status;
  return onlyUpstream(verdict.reasons) ? 'upstream-stale' : 'stale';
}

/**
 * One readable line per reason (`config changed (threshold 0.3 → 0.5)`, `upstream step clean is
 * stale`), with the cells and steps named by `label`.
 */
export function reasonLines(
  reasons: readonly StaleReason[],
  label: (cellOrStepId: string) => string,
): string[] {
  return reasons.map((r) => describeReason(r, label));
}

/** The hover text of a badge in a stale state: the state, then why. */
export function staleTitle(
  state: BadgeState,
  reasons: readonly StaleReason[],
  label: (cellOrStepId: string) => string,
): string {
  const lines = reasonLines(reasons, label);
  return [`${stateText(state)}:`, ...lines.map((l) => `• ${l}`)].join('\n');
}

/**
 * The steps `Run stale` runs, in workflow order: every step the freshness check does not call
 * fresh (never run, changed, or downstream of a change), except those `unknown` says to leave
 * (an output saved without a record of its run: judged by nothing, see {@link badgeState}).
 */
export function staleStepIds(
  verdicts: readonly Freshness[],
  unknown: (stepId: string) => boolean = () => false,
): string[] {
  return verdicts.filter((v) => !v.fresh && !unknown(v.stepId)).map((v) => v.stepId);
}
