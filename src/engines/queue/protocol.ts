/**
 * What the coordinator of a queued run (`fancyflow run --queue`, a kernel with a queue) and the
 * workers (`fancyflow worker`) say to each other through Redis. Data never goes through Redis:
 * jobs name cells of the shared store; only the workflow document (config, not data) and step
 * reports do.
 *
 * - The run record `<prefix>:run:<runId>` (a JSON string, with an expiry): the workflow document,
 *   the folder its modules are relative to, extra step modules, the store and the row_wise split.
 * - One BullMQ job per step whose inputs are complete: `{ kind: 'step', runId, stepId }`, job id
 *   {@link jobIdOf}; a split `row_wise` step is `part` jobs (a row range each) and then one
 *   `assemble` job. A job's return value is the step's report ({@link JobResult}).
 * - A chain: a step job may carry `chain`, the steps that wait for it alone, in order. Its worker
 *   runs them in the same job, one after the other, as long as each completes (or is cached): a
 *   step done goes out as the job's progress (its {@link JobResult}), and the last step run is the
 *   job's return value. No job, and no trip through the coordinator, per step of a chain; the
 *   coordinator enqueues at once what a step's progress unblocks elsewhere. A chain that stops (a
 *   step failed, the run was cancelled) leaves its other steps to the coordinator, which skips
 *   them. A chain taken over after its worker died starts again at its first step (the steps done
 *   are then cached, or recomputed with the cache off); the coordinator keeps the first report of
 *   each step.
 * - Cancelling: the coordinator removes the run's waiting jobs, sets `<prefix>:run:<runId>:cancelled`
 *   and publishes the run id on `<prefix>:cancel`; workers abort that run's running steps.
 */
import { z } from 'zod';
import type { FancyCell } from '../../core/cell';
import type { StepReport } from '../../core/orchestrator';

/** The BullMQ key prefix and queue name of fancyflow's jobs. */
export const QUEUE_PREFIX = 'fancyflow';
export const QUEUE_NAME = 'steps';
/** The pub/sub channel on which cancelled run ids are published. */
export const CANCEL_CHANNEL = `${QUEUE_PREFIX}:cancel`;

/** The Redis key of a run's record. */
export function runKey(runId: string): string {
  return `${QUEUE_PREFIX}:run:${runId}`;
}

/** The Redis key that marks a run cancelled. */
export function cancelKey(runId: string): string {
  return `${runKey(runId)}:cancelled`;
}

/** How long a run's record and marks live in Redis if its coordinator never cleans up (7 days). */
export const RUN_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Stall detection (a worker that died mid-step): a worker holds a lock on its job for
 * `lockMs`, renewed every `lockMs / 2`; every `stallCheckMs` the workers look for jobs whose lock
 * expired and hand them to another worker, at most `maxStalled` times per job. A killed worker's
 * step starts again elsewhere within about `lockMs + stallCheckMs`.
 */
export interface StallSettings {
  lockMs: number;
  stallCheckMs: number;
  maxStalled: number;
}

/** The defaults: a killed worker's step is taken over within ~15 s. */
export const DEFAULT_STALL: StallSettings = { lockMs: 10_000, stallCheckMs: 5_000, maxStalled: 5 };

/**
 * `row_wise` steps over more rows than this are split into parts of at most this many rows (see
 * {@link partRanges}); each part costs a job, a write and a read of its rows.
 */
export const DEFAULT_PART_ROWS = 65_536;

/**
 * The row ranges of a split `row_wise` step over `rows` rows, in order: parts of `partRows` rows,
 * then, once fewer than four such parts are left, each a quarter of the rows left (guided
 * scheduling), down to a sixteenth of `partRows`. The last parts are small, so the workers finish
 * close together: the last part is the tail every other worker (and the assembly) waits for.
 * Up to `partRows` rows: one part.
 */
export function partRanges(rows: number, partRows: number): { start: number; end: number }[] {
  if (rows <= partRows) return [{ start: 0, end: rows }];
  const smallest = Math.max(1, Math.ceil(partRows / 16));
  const parts: { start: number; end: number }[] = [];
  for (let start = 0; start < rows;) {
    const left = rows - start;
    const size = Math.min(left, Math.max(smallest, Math.min(partRows, Math.ceil(left / 4))));
    parts.push({ start, end: start + size });
    start += size;
  }
  return parts;
}

export const RunRecordSchema = z.object({
  v: z.literal(1),
  /** The workflow document (`Workflow.toJSON()`). */
  document: z.record(z.string(), z.unknown()),
  /** The folder the document's `modules` are relative to (on the coordinator's machine). */
  baseDir: z.string(),
  /** More step modules (absolute paths or package names): the run's `--steps`. */
  modules: z.array(z.string()),
  /** The store, as `--store` names it: a folder or `s3://bucket/prefix`. */
  store: z.string(),
  /**
   * Steps recomputed whatever the store's cache holds: all (`true`, `--no-cache`) or these ids.
   * Absent: every step whose key the store holds is `cached` (split row_wise steps always run).
   */
  recompute: z.union([z.boolean(), z.array(z.string())]).optional(),
});

/** A run's record in Redis. */
export type RunRecord = z.infer<typeof RunRecordSchema>;

/** The data of a job. */
export type JobData =
  | { kind: 'step'; runId: string; stepId: string; chain?: string[] }
  | { kind: 'part'; runId: string; stepId: string; part: number; start: number; end: number }
  | { kind: 'assemble'; runId: string; stepId: string; parts: { start: number; end: number }[] };

/**
 * The job's data when it is a fancyflow job, else undefined: a job's data comes from Redis, where
 * anyone with access can put anything. Only the known fields are kept (a fresh object). Written out
 * by hand rather than as a zod schema: it runs for every job, and zod's general walk of a chain of
 * a hundred ids cost a worker more than the rest of its own work on a job (~0.1 ms).
 */
export function readJobData(value: unknown): JobData | undefined {
  if (!isRecord(value)) return undefined;
  const { kind, runId, stepId } = value;
  if (typeof runId !== 'string' || typeof stepId !== 'string') return undefined;
  switch (kind) {
    case 'step': {
      const chain = value.chain;
      if (chain === undefined) return { kind, runId, stepId };
      if (!Array.isArray(chain)) return undefined;
      for (const id of chain as unknown[]) if (typeof id !== 'string') return undefined;
      return { kind, runId, stepId, chain: chain as string[] };
    }
    case 'part': {
      const { part, start, end } = value;
      if (!isCount(part) || !isCount(start) || !isCount(end)) return undefined;
      return { kind, runId, stepId, part, start, end };
    }
    case 'assemble': {
      const parts = value.parts;
      if (!Array.isArray(parts)) return undefined;
      const ranges: { start: number; end: number }[] = [];
      for (const range of parts as unknown[]) {
        if (!isRecord(range) || !isCount(range.start) || !isCount(range.end)) return undefined;
        ranges.push({ start: range.start, end: range.end });
      }
      return { kind, runId, stepId, parts: ranges };
    }
    default:
      return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-negative integer (row numbers, part numbers). */
function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** What a job returns: the report of the step (or part) it ran, and the output cell. */
export interface JobResult {
  report: StepReport;
  cell?: FancyCell;
}

/**
 * The most steps one chain hands from worker to worker (the chain rides in each job's data, so a
 * chain of n steps carries n²/2 ids in all); a longer run of such steps is several chains.
 */
export const MAX_CHAIN = 128;

/** A job's id: `<runId>.<step id>` (with `.p<part>` or `.a` for the jobs of a split step). */
export function jobIdOf(
  runId: string,
  data: Pick<JobData, 'kind' | 'stepId'> & { part?: number },
): string {
  const step = encodeURIComponent(data.stepId).replace(/[:.]/g, (c) => `%${c.charCodeAt(0)}`);
  switch (data.kind) {
    case 'step':
      return `${runId}.${step}`;
    case 'part':
      return `${runId}.${step}.p${data.part ?? 0}`;
    case 'assemble':
      return `${runId}.${step}.a`;
  }
}

/** The BullMQ options of a job: its id, and how long finished jobs are kept. */
export function jobOptions(runId: string, data: JobData) {
  return {
    jobId: jobIdOf(runId, data),
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: { age: 24 * 3600 },
  };
}

/** The cell that holds part `part` of a split `row_wise` step's output, until it is assembled. */
export function partCellId(stepId: string, part: number): string {
  return `${stepId}~part-${part}`;
}
