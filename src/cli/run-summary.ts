/**
 * The summary a finished run prints to stdout: one row per step (step, slug, status, time, output
 * shape) and a totals line, and the one-line reports of failed steps.
 */
import { describeReason, type RunReport, type StepReport } from '../core';
import { palette, type Paint, type Palette } from './ansi';
import { oneLine } from './report-error';
import { formatDuration, formatOutput, layoutColumns, type TextCell } from './text-format';

/** A step's status as people read it. */
export function displayStatus(step: StepReport): string {
  return step.status;
}

function statusPaint(status: string, colors: Palette): Paint | undefined {
  switch (status) {
    case 'completed':
    case 'cached':
      return colors.green;
    case 'failed':
      return colors.red;
    case 'skipped':
    case 'cancelled':
      return colors.yellow;
    default:
      return undefined;
  }
}

/** The summary table and totals line, ending with a newline. */
export function formatRunSummary(report: RunReport, options: { color?: boolean } = {}): string {
  const colors = palette(options.color ?? false);
  const cached = report.steps.some((s) => s.cache !== undefined);
  const names = new Map(report.steps.map((s) => [s.stepId, s.name]));
  const columns = ['STEP', 'SLUG', 'STATUS', 'TIME', 'OUTPUT'];
  if (cached) columns.push('CACHE');
  const header: TextCell[] = columns.map((text) => ({
    text,
    paint: colors.bold,
  }));
  const rows: (TextCell | string)[][] = [header];
  const counts = new Map<string, number>();
  for (const step of report.steps) {
    const status = displayStatus(step);
    counts.set(status, (counts.get(status) ?? 0) + 1);
    const paint = statusPaint(status, colors);
    const row: (TextCell | string)[] = [
      step.name,
      { text: step.slug, paint: colors.dim },
      paint ? { text: status, paint } : status,
      step.durationMs === undefined ? '-' : formatDuration(step.durationMs),
      formatOutput(step.summary),
    ];
    if (cached) row.push(cacheText(step, (id) => names.get(id) ?? id));
    rows.push(row);
  }
  const order = ['completed', 'cached', 'failed', 'cancelled', 'skipped', 'running', 'pending'];
  const totals = order
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s}`)
    .join(', ');
  const plural = report.steps.length === 1 ? '' : 's';
  const paint = statusPaint(report.status, colors) ?? ((t: string) => t);
  const uniform = counts.size === 1 && counts.has(report.status);
  const breakdown = totals && !uniform ? ` (${totals})` : '';
  const footer = `${paint(`run ${report.status}`)}: ${report.steps.length} step${plural}${breakdown} in ${formatDuration(report.durationMs)}`;
  return layoutColumns(rows).join('\n') + '\n\n' + footer + '\n';
}

/** A step's cache column: `hit`, `off`, or `miss: <first reason>` (and how many more). */
export function cacheText(step: StepReport, label: (id: string) => string): string {
  if (step.cache !== 'miss') return step.cache ?? '-';
  const reasons = step.reasons ?? [];
  if (reasons.length === 0) return 'miss';
  const first = describeReason(reasons[0]!, label);
  return `miss: ${first}${reasons.length > 1 ? ` (+${reasons.length - 1})` : ''}`;
}

/**
 * One line per failed step, in the format of input errors:
 * `fancyflow: <file>: <code> at <step pointer>: <message>`.
 */
export function formatFailures(
  report: RunReport,
  where: { file: string; pointerOf?: (stepId: string) => string | undefined },
): string[] {
  return report.steps
    .filter((s) => s.status === 'failed' && s.error)
    .map((s) => {
      const pointer = where.pointerOf?.(s.stepId);
      const at = pointer === undefined ? '' : ` at ${pointer}`;
      return `fancyflow: ${where.file}: ${s.error!.code}${at}: ${oneLine(s.error!.message)}`;
    });
}
