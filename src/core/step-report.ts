/**
 * Plain copies of step reports. A file of its own (types only from the Orchestrator), so the lab
 * bundle gets it without the engine.
 */
import type { StepReport } from './orchestrator';

/** A plain StepReport copy of a `step-status` event (its lazily computed fields included). */
export function toStepReport(event: StepReport): StepReport {
  const report: StepReport = {
    stepId: event.stepId,
    slug: event.slug,
    name: event.name,
    status: event.status,
  };
  if (event.startedAt !== undefined) report.startedAt = event.startedAt;
  if (event.durationMs !== undefined) report.durationMs = event.durationMs;
  if (event.outputCellId !== undefined) report.outputCellId = event.outputCellId;
  const summary = event.summary;
  if (summary !== undefined) report.summary = summary;
  if (event.error !== undefined) report.error = event.error;
  if (event.cache !== undefined) report.cache = event.cache;
  if (event.reasons !== undefined) report.reasons = event.reasons;
  if (event.record !== undefined) report.record = event.record;
  return report;
}
