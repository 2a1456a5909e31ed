/**
 * The lineage of the active step (workflow panel): what produced its last output — the step, its
 * version and code, the config it ran with, each input with its readable name and fingerprint, the
 * run and when, and whether the cache answered — read from the step's record (this kernel's, else
 * the one saved in its cell).
 */
import * as React from 'react';
import { hasOutput } from '../core/format';
import type { StepRecord } from '../core/freshness';
import { formatDuration, type StepView } from './workflow-model';

/** One line of the lineage: a term and what it says. */
export interface LineageRow {
  term: string;
  value: string;
  /** The full value where `value` is shortened (a fingerprint), for the hover. */
  full?: string;
}

/** Fingerprints are long; their first 12 characters tell them apart for a reader. */
export function shortFingerprint(fingerprint: string): string {
  return fingerprint.length > 12 ? `${fingerprint.slice(0, 12)}…` : fingerprint;
}

/** `2026-11-30 14:03:13` for an ISO time (local), the text itself when it is not one. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/**
 * The lineage of a record as rows, cells named by `label` (never bare ids where a name is known).
 *
 * @example
 * lineageRows(record, (id) => names.get(id) ?? id);
 * // [{ term: 'Step', value: 'filter 1.0.0' }, { term: 'Input table', value: 'metric (3f2a…)' }, …]
 */
export function lineageRows(record: StepRecord, label: (cellId: string) => string): LineageRow[] {
  const rows: LineageRow[] = [
    { term: 'Step', value: `${record.slug} ${record.version}` },
    { term: 'Code', value: shortFingerprint(record.code), full: record.code },
    { term: 'Config', value: JSON.stringify(record.config) },
  ];
  for (const [argument, input] of Object.entries(record.inputs)) {
    rows.push({
      term: `Input ${argument}`,
      value: `${label(input.cell)} (${shortFingerprint(input.fingerprint)})`,
      full: input.fingerprint,
    });
  }
  const how = record.cached ? 'cached' : `computed in ${formatDuration(record.durationMs)}`;
  rows.push({ term: 'Run', value: `${record.runId} · ${formatTime(record.at)} · ${how}` });
  if (record.output !== undefined) {
    rows.push({ term: 'Output', value: shortFingerprint(record.output), full: record.output });
  }
  rows.push({ term: 'Cache key', value: shortFingerprint(record.key), full: record.key });
  return rows;
}

/** Props of {@link Lineage}. */
export interface ILineageProps {
  view: StepView | undefined;
  label: (cellId: string) => string;
}

/** The lineage section of the active step. */
export function Lineage(props: ILineageProps): React.ReactElement {
  const { view, label } = props;
  const record = view?.record;
  return (
    <details className="jp-fancyflow-Lineage" open>
      <summary>Lineage</summary>
      {record ? (
        <dl className="jp-fancyflow-Lineage-list">
          {lineageRows(record, label).map((row) => (
            <React.Fragment key={row.term}>
              <dt>{row.term}</dt>
              <dd title={row.full}>{row.value}</dd>
            </React.Fragment>
          ))}
        </dl>
      ) : (
        <p className="jp-fancyflow-Lineage-none">
          {hasOutput(view?.status)
            ? 'This step’s output was saved without a record of what produced it: run it to record one.'
            : 'No run of this step is recorded yet.'}
        </p>
      )}
    </details>
  );
}
