/**
 * Running a workflow on the queue's workers: the coordinator side of `fancyflow run --queue` and of
 * a kernel with a queue. Same inputs, outputs and events as `Orchestrator.run`: the same statuses
 * (`pending`, `running`, `completed`, `failed`, `skipped`, `cancelled`), the same coded errors,
 * one report in workflow order.
 *
 * A step is enqueued as soon as the steps its inputs come from have completed, so independent
 * steps run at once on different workers; a step wired to one that did not complete is skipped,
 * as locally. Steps that wait for one step alone ride with it as a chain, which its worker runs in
 * the same job, each step's report coming as the job's progress (see protocol.ts). A `row_wise`
 * step over more rows than `partRows` becomes one job per row range and an assembly job.
 * Cancelling (the signal) removes the run's waiting jobs and tells the workers to abort its running
 * steps.
 */
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { FancyflowError, toFancyflowError, type SerializedError } from '../../core/errors';
import { hasOutput } from '../../core/format';
import {
  cancelledError,
  dependencyError,
  type RunEvent,
  type RunOptions,
  type RunReport,
  type RunStatus,
  type StepReport,
} from '../../core/orchestrator';
import type { FunctionRegistry } from '../../core/registry';
import type { DatumStore } from '../../core/store';
import type { Workflow } from '../../core/workflow';
import { stepLabel, stepName, type WorkflowStep } from '../../core/workflow-step';
import {
  CANCEL_CHANNEL,
  cancelKey,
  DEFAULT_PART_ROWS,
  partRanges,
  jobIdOf,
  jobOptions,
  MAX_CHAIN,
  QUEUE_NAME,
  QUEUE_PREFIX,
  RUN_TTL_SECONDS,
  runKey,
  type JobData,
  type JobResult,
  type RunRecord,
} from './protocol';
import { JobEvents, type JobEventName } from './job-events';
import { redisOptions, safeRedisUrl } from './redis-url';

/** Options of {@link QueueEngine.connect}. */
export interface QueueEngineOptions {
  /** `redis://host:port[/db]` */
  url: string;
  /** The shared store the workers use (the coordinator reads row counts and outputs from it). */
  store: DatumStore;
  /** The store as workers open it: a folder, or `s3://bucket/prefix`. */
  storeSpec: string;
  /** Where steps are looked up (row_wise steps are split). */
  registry: FunctionRegistry;
  /** How long to wait for Redis at connect. Default 5,000 ms. */
  connectTimeoutMs?: number;
}

/** Options of a queued run: those of a local run, and what the workers need to load the steps. */
export interface QueueRunOptions extends RunOptions {
  /** The folder the document's `modules` are relative to. */
  baseDir: string;
  /** More step modules for the workers (absolute paths or package names). Default none. */
  modules?: readonly string[];
  /** `row_wise` steps over more rows are split into parts of this many rows; 0 never splits.
   * Default {@link DEFAULT_PART_ROWS}. */
  partRows?: number;
}

/** What is done with a job's event: `value` is its return value (JSON text or parsed) or failed reason. */
type JobHandler = (event: JobEventName, value: unknown) => void;

/** How often jobs still in flight are looked up directly, should an event have been missed. */
const RECONCILE_MS = 1_000;

let runCounter = 0;

interface Inflight {
  index: number;
  kind: JobData['kind'];
  part?: number;
  /** The steps this step's worker goes on with when it completes (a chain: see protocol.ts). */
  chain?: number[];
}

/** The split of one row_wise step across part jobs. */
interface Split {
  parts: { start: number; end: number }[];
  done: number;
  failed: boolean;
}

/**
 * The coordinator of queued runs. One per process; runs may overlap.
 *
 * @example
 * const engine = await QueueEngine.connect({ url: 'redis://127.0.0.1:6379', store, storeSpec: 's3://b/p', registry });
 * const report = await engine.run(workflow, { baseDir: process.cwd(), onEvent: console.log });
 * await engine.close();
 */
export class QueueEngine {
  private readonly handlers = new Map<string, JobHandler>();
  /** Jobs waited for whose completion the coordinator acts on (not in the middle of a chain). */
  private readonly urgent = new Set<string>();
  private reconcileTimer: NodeJS.Timeout | undefined;
  /** Jobs whose handlers are in place while they are being added (not missing from the queue). */
  private readonly adding = new Set<string>();
  /** Jobs in flight that the last reconciliation did not find in the queue. */
  private readonly missing = new Set<string>();

  private events!: JobEvents;

  private constructor(
    private readonly options: QueueEngineOptions,
    private readonly queue: Queue,
    private readonly client: Redis,
  ) {}

  /** Connects to the queue; QUEUE_UNAVAILABLE naming the URL when Redis does not answer in time. */
  static async connect(options: QueueEngineOptions): Promise<QueueEngine> {
    const connection = redisOptions(options.url);
    const safe = safeRedisUrl(options.url);
    const client = new Redis({
      ...connection,
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      connectTimeout: options.connectTimeoutMs ?? 5_000,
      retryStrategy: (times) => (times > 2 ? null : 200),
    });
    try {
      await client.connect();
      await client.ping();
    } catch (e) {
      client.disconnect();
      throw new FancyflowError(
        'QUEUE_UNAVAILABLE',
        `Cannot reach the queue ${safe}: ${e instanceof Error ? e.message : String(e)}`,
        { details: { url: safe }, cause: e },
      );
    }
    // events from the stream's current end on: none of this process's jobs is missed
    const eventsKey = `${QUEUE_PREFIX}:${QUEUE_NAME}:events`;
    const last = await client.xrevrange(eventsKey, '+', '-', 'COUNT', 1);
    const queue = new Queue(QUEUE_NAME, { connection, prefix: QUEUE_PREFIX });
    const engine = new QueueEngine(options, queue, client);
    const [events] = await Promise.all([
      JobEvents.open({
        connection,
        key: eventsKey,
        from: last[0]?.[0] ?? '0-0',
        listener: (event, jobId, value) => engine.handlers.get(jobId)?.(event, value),
        // while every job waited for is in the middle of a chain, its events only move progress
        patient: () => engine.urgent.size === 0,
      }),
      queue.waitUntilReady(),
    ]);
    engine.events = events;
    return engine;
  }

  private listen(jobId: string, urgent: boolean, handler: JobHandler): void {
    this.handlers.set(jobId, handler);
    if (urgent) this.urgent.add(jobId);
  }

  private forget(jobId: string): void {
    this.handlers.delete(jobId);
    this.urgent.delete(jobId);
  }

  /** Closes the connections (runs in progress are left to their workers). */
  async close(): Promise<void> {
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    await Promise.allSettled([this.events.close(), this.queue.close()]);
    await this.client.quit().catch(() => undefined);
  }

  /**
   * Runs the workflow (or the part `options` selects) on the workers. Never throws for a step:
   * every problem becomes a step's status, as in `Orchestrator.run`. Throws QUEUE_UNAVAILABLE when
   * the run cannot be started.
   */
  async run(workflow: Workflow, options: QueueRunOptions): Promise<RunReport> {
    const selected = selectSteps(workflow, options);
    const runId = `run-${Date.now().toString(36)}-${process.pid.toString(36)}-${++runCounter}-${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
    const started = performance.now();
    const startedAt = new Date().toISOString();
    const listeners = options.onEvent;
    const emit = (event: RunEvent) => listeners?.(event);
    const reports: StepReport[] = selected.map((s) => ({
      stepId: s.id,
      slug: s.slug,
      name: stepName(s, workflow.indexOf(s.id) + 1),
      status: 'pending',
    }));
    emit({ type: 'run-started', runId, stepIds: reports.map((r) => r.stepId), at: Date.now() });
    for (const report of reports) emit({ type: 'step-status', runId, at: Date.now(), ...report });

    const record: RunRecord = {
      v: 1,
      document: workflow.toJSON() as unknown as Record<string, unknown>,
      baseDir: options.baseDir,
      modules: [...(options.modules ?? [])],
      store: this.options.storeSpec,
      ...(options.recompute === undefined || options.recompute === false
        ? {}
        : {
            recompute:
              typeof options.recompute === 'boolean' ? true : Array.from(options.recompute),
          }),
    };
    try {
      await this.client.set(runKey(runId), JSON.stringify(record), 'EX', RUN_TTL_SECONDS);
    } catch (e) {
      throw new FancyflowError(
        'QUEUE_UNAVAILABLE',
        `Cannot start a run on the queue ${safeRedisUrl(this.options.url)}: ${String(e)}`,
        { details: { url: safeRedisUrl(this.options.url) }, cause: e },
      );
    }

    const partRows = options.partRows ?? DEFAULT_PART_ROWS;
    const producedBy = new Map<string, number>(selected.map((s, i) => [s.id, i]));
    const consumers = new Map<number, number[]>();
    selected.forEach((s, i) => {
      for (const cellId of new Set(Object.values(s.wiring))) {
        const producer = producedBy.get(cellId);
        if (producer === undefined) continue;
        const list = consumers.get(producer);
        if (list) list.push(i);
        else consumers.set(producer, [i]);
      }
    });
    const unavailable = new Set<string>(options.unavailable);
    const pending = new Set<number>(selected.map((_, i) => i));
    /** Steps riding in a chain job (see protocol.ts), until their report comes. */
    const delegated = new Set<number>();
    const inflight = new Map<string, Inflight>();
    const splits = new Map<number, Split>();
    const signal = options.signal;
    let finished = false;
    let resolveRun!: (report: RunReport) => void;
    const done = new Promise<RunReport>((resolve) => (resolveRun = resolve));
    let chain: Promise<void> = Promise.resolve();

    const finish = (index: number, status: StepReport['status'], error?: SerializedError) => {
      const report = reports[index]!;
      report.status = status;
      if (error) report.error = error;
      if (!hasOutput(status)) unavailable.add(report.stepId);
      emit({ type: 'step-status', runId, at: Date.now(), ...report });
    };

    const end = () => {
      if (finished) return;
      finished = true;
      signal?.removeEventListener('abort', onAbort);
      for (const jobId of inflight.keys()) this.forget(jobId);
      delegated.clear();
      const status: RunStatus = signal?.aborted
        ? 'cancelled'
        : reports.every((r) => hasOutput(r.status))
          ? 'completed'
          : 'failed';
      const durationMs = performance.now() - started;
      void this.client.del(runKey(runId)).catch(() => undefined);
      emit({ type: 'run-finished', runId, status, at: Date.now(), durationMs });
      resolveRun({ runId, status, startedAt, durationMs, steps: reports });
    };

    const stepError = (index: number, e: unknown): SerializedError => {
      const step = selected[index]!;
      const error = toFancyflowError(e, 'WORKER_FAILED');
      const serialized = (
        error.code === 'WORKER_FAILED' && !error.message.startsWith('Step ')
          ? new FancyflowError(
              'WORKER_FAILED',
              `Step ${stepLabel(step, workflow.indexOf(step.id) + 1)} could not be run by a worker: ${error.message}`,
              { details: { stepId: step.id }, cause: e },
            )
          : error
      ).toJSON();
      delete serialized.stack;
      return serialized;
    };

    const running = (index: number) => {
      const report = reports[index]!;
      if (report.status !== 'pending') return;
      report.status = 'running';
      report.startedAt = Date.now();
      emit({ type: 'step-status', runId, at: report.startedAt, ...report });
    };

    const apply = (index: number, result: JobResult, kind: JobData['kind']) => {
      const report = reports[index]!;
      const got = result.report;
      if (report.startedAt === undefined && got.startedAt !== undefined)
        report.startedAt = got.startedAt;
      report.durationMs =
        kind === 'assemble' && report.startedAt !== undefined
          ? Date.now() - report.startedAt
          : got.durationMs;
      if (hasOutput(got.status)) {
        report.outputCellId = report.stepId;
        if (got.summary) report.summary = got.summary;
        else if (result.cell) report.summary = result.cell.summary;
        // what the worker's cache found (a split step's parts and assembly are never cached)
        if (kind === 'step') {
          if (got.cache) report.cache = got.cache;
          if (got.reasons) report.reasons = got.reasons;
          if (got.record) report.record = got.record;
        }
        finish(index, got.status);
      } else {
        const status = got.status === 'cancelled' ? 'cancelled' : 'failed';
        finish(index, status, got.error ?? stepError(index, 'no report'));
      }
    };

    /** The steps a job runs: its own, then its chain's. */
    const stepsOf = (entry: Inflight): number[] => [entry.index, ...(entry.chain ?? [])];
    /** Which of the job's steps a result reports (a chain job's progress, or its last step). */
    const reported = (entry: Inflight, result: JobResult): number | undefined =>
      entry.kind === 'step'
        ? stepsOf(entry).find((k) => selected[k]!.id === result.report.stepId)
        : entry.index;

    const onJob = (jobId: string, entry: Inflight) => {
      inflight.set(jobId, entry);
      // a chain's steps report as its progress: nothing waits on its events but their display
      const isChain = entry.chain !== undefined && entry.chain.length > 0;
      this.listen(jobId, !isChain, (event, value) => {
        if (finished || !inflight.has(jobId)) return;
        if (event === 'active') return running(entry.index);
        if (event === 'progress') {
          const result = parseResult(value);
          if ('error' in result) return; // the job's completion settles its chain
          chain = chain.then(() => progress(entry, result)).catch(() => undefined);
          return;
        }
        // it stays in flight until settled: the run must not end while a result waits its turn
        this.forget(jobId);
        const result =
          event === 'completed' ? parseResult(value) : { error: String(value ?? 'failed') };
        chain = chain
          .then(() => {
            inflight.delete(jobId);
            return settle(entry, result);
          })
          .catch(() => undefined);
      });
    };

    /** A step of a chain job done: its report, the next step running, what it unblocks enqueued. */
    const progress = async (entry: Inflight, result: JobResult) => {
      if (finished) return;
      const index = reported(entry, result);
      // (a chain taken over by another worker reports its first steps again)
      if (index === undefined || !unsettled(index)) return;
      delegated.delete(index);
      apply(index, result, 'step');
      const steps = stepsOf(entry);
      const next = steps[steps.indexOf(index) + 1];
      if (next !== undefined) running(next);
      await schedule();
    };

    const unsettled = (index: number) =>
      reports[index]!.status === 'pending' || reports[index]!.status === 'running';

    const settle = async (entry: Inflight, outcome: JobResult | { error: string }) => {
      if (finished) return;
      // a chain ends at its last step run: the one its result reports, or, when the job failed,
      // the first one not done
      const index =
        ('error' in outcome ? undefined : reported(entry, outcome)) ??
        stepsOf(entry).find(unsettled) ??
        entry.index;
      // the chain's steps the job did not settle go back to pending: skipped when their input
      // failed, enqueued again when they were done but their report was not heard
      for (const k of entry.chain ?? []) {
        if (delegated.delete(k) && k !== index && unsettled(k)) pending.add(k);
      }
      if ('error' in outcome) {
        const split = splits.get(index);
        if (split) split.failed = true;
        if (unsettled(index)) finish(index, 'failed', stepError(index, outcome.error));
      } else if (entry.kind === 'part') {
        const split = splits.get(index)!;
        if (!split.failed) {
          split.done++;
          if (outcome.report.status !== 'completed') {
            split.failed = true;
            apply(index, outcome, 'part');
          } else if (split.done === split.parts.length) {
            await this.add(runId, [
              { kind: 'assemble', runId, stepId: selected[index]!.id, parts: split.parts },
            ]).then(([jobId]) => onJob(jobId!, { index, kind: 'assemble' }));
          }
        }
      } else if (unsettled(index)) {
        delegated.delete(index);
        apply(index, outcome, entry.kind);
      }
      await schedule();
    };

    /** Enqueues every pending step whose inputs are complete; skips those that cannot run. */
    const schedule = async () => {
      if (finished) return;
      const batch: { index: number; linked: number[]; data: Extract<JobData, { kind: 'step' }> }[] =
        [];
      for (const index of [...pending]) {
        const step = selected[index]!;
        const blocked = firstBlocked(step, unavailable);
        if (blocked) {
          pending.delete(index);
          const error = dependencyError(step, workflow, blocked[0], blocked[1]).toJSON();
          delete error.stack;
          finish(index, 'skipped', error);
          continue;
        }
        const ready = Object.values(step.wiring).every((cellId) => {
          const producer = producedBy.get(cellId);
          return producer === undefined || hasOutput(reports[producer]!.status);
        });
        if (!ready) continue;
        pending.delete(index);
        if (!chainable(index)) {
          // a row_wise step: split into parts when its input is long enough
          try {
            await this.enqueue(runId, step, index, partRows, splits, onJob);
          } catch (e) {
            finish(index, 'failed', stepError(index, e));
          }
          continue;
        }
        const linked = chainFrom(index);
        const data: Extract<JobData, { kind: 'step' }> = { kind: 'step', runId, stepId: step.id };
        if (linked.length > 0) data.chain = linked.map((k) => selected[k]!.id);
        batch.push({ index, linked, data });
      }
      if (batch.length > 0) {
        // every step ready now in one call; handlers first, so that no event comes too early
        const ids = batch.map(({ data }) => jobIdOf(runId, data));
        batch.forEach(({ index, linked }, i) =>
          onJob(ids[i]!, { index, kind: 'step', ...(linked.length > 0 ? { chain: linked } : {}) }),
        );
        for (const id of ids) this.adding.add(id);
        try {
          await this.add(
            runId,
            batch.map(({ data }) => data),
          );
          for (const id of ids) this.adding.delete(id);
        } catch (e) {
          for (const id of ids) this.adding.delete(id);
          batch.forEach(({ index, linked }, i) => {
            inflight.delete(ids[i]!);
            this.forget(ids[i]!);
            for (const k of linked) {
              delegated.delete(k);
              pending.add(k);
            }
            finish(index, 'failed', stepError(index, e));
          });
        }
      }
      if (pending.size === 0 && inflight.size === 0 && delegated.size === 0) end();
    };

    /** A step that a split row_wise step could not be: those are enqueued here. */
    const chainable = (index: number) => {
      const def = this.options.registry.get(selected[index]!.slug)?.definition;
      return !(def?.execution === 'row_wise' && partRows > 0);
    };

    /**
     * The pending steps that, once `head` completes, wait for nothing else (the first such
     * consumer of each step in turn): they become delegated, a chain its worker runs in one job.
     */
    const chainFrom = (head: number): number[] => {
      const linked: number[] = [];
      if (!chainable(head)) return linked;
      for (let at = head; linked.length < MAX_CHAIN - 1;) {
        const next = consumers.get(at)?.find((k) => {
          if (!pending.has(k) || !chainable(k)) return false;
          const step = selected[k]!;
          if (firstBlocked(step, unavailable)) return false;
          return Object.values(step.wiring).every((cellId) => {
            const producer = producedBy.get(cellId);
            return (
              producer === undefined || producer === at || hasOutput(reports[producer]!.status)
            );
          });
        });
        if (next === undefined) break;
        pending.delete(next);
        delegated.add(next);
        linked.push(next);
        at = next;
      }
      return linked;
    };

    const onAbort = () => {
      chain = chain.then(async () => {
        if (finished) return;
        await this.client
          .multi()
          .set(cancelKey(runId), '1', 'EX', RUN_TTL_SECONDS)
          .publish(CANCEL_CHANNEL, runId)
          .exec()
          .catch(() => undefined);
        // waiting jobs go; a running one is aborted by its worker
        await Promise.all([...inflight.keys()].map((id) => this.queue.remove(id).catch(() => 0)));
        for (const jobId of inflight.keys()) this.forget(jobId);
        inflight.clear();
        pending.clear();
        delegated.clear();
        reports.forEach((report, index) => {
          if (report.status !== 'pending' && report.status !== 'running') return;
          const error = cancelledError(selected[index]!, workflow).toJSON();
          delete error.stack;
          finish(index, 'cancelled', error);
        });
        end();
      });
    };
    if (signal?.aborted) onAbort();
    else {
      signal?.addEventListener('abort', onAbort, { once: true });
      chain = chain.then(schedule);
    }
    this.startReconciling();
    return done;
  }

  private async enqueue(
    runId: string,
    step: WorkflowStep,
    index: number,
    partRows: number,
    splits: Map<number, Split>,
    onJob: (jobId: string, entry: Inflight) => void,
  ): Promise<void> {
    const def = this.options.registry.get(step.slug)?.definition;
    if (def?.execution === 'row_wise' && partRows > 0) {
      const inputId = step.wiring[Object.keys(def.inputs)[0]!];
      const store = this.options.store;
      if (inputId !== undefined) {
        await store.refresh?.([inputId]);
        const rows = store.cell(inputId)?.summary.shape?.[0] ?? 0;
        if (rows > partRows) {
          const parts = partRanges(rows, partRows);
          splits.set(index, { parts, done: 0, failed: false });
          const ids = await this.add(
            runId,
            parts.map((p, part) => ({ kind: 'part', runId, stepId: step.id, part, ...p })),
          );
          ids.forEach((jobId, part) => onJob(jobId, { index, kind: 'part', part }));
          return;
        }
      }
    }
    const [jobId] = await this.add(runId, [{ kind: 'step', runId, stepId: step.id }]);
    onJob(jobId!, { index, kind: 'step' });
  }

  private async add(runId: string, jobs: JobData[]): Promise<string[]> {
    if (jobs.length === 1) {
      // one script call; addBulk wraps even one job in a transaction
      const data = jobs[0]!;
      return [(await this.queue.add(data.kind, data, jobOptions(runId, data))).id!];
    }
    const added = await this.queue.addBulk(
      jobs.map((data) => ({ name: data.kind, data, opts: jobOptions(runId, data) })),
    );
    return added.map((job) => job.id!);
  }

  /** Looks up jobs in flight now and then: a finished job whose event was missed still counts. */
  private startReconciling(): void {
    if (this.reconcileTimer) return;
    this.reconcileTimer = setInterval(() => {
      for (const jobId of this.missing) if (!this.handlers.has(jobId)) this.missing.delete(jobId);
      if (this.handlers.size === 0) return;
      const jobIds = [...this.handlers.keys()].filter((id) => !this.adding.has(id));
      for (const jobId of jobIds.slice(0, 100)) {
        void Job.fromId(this.queue, jobId).then(
          (job) => {
            const handler = this.handlers.get(jobId);
            if (!handler) return;
            if (!job) {
              // missing at one look, it may be a look taken as it was added; at two it was never
              // added (or is gone)
              if (!this.missing.delete(jobId)) return void this.missing.add(jobId);
              return handler('failed', 'the job is not in the queue (never added, or removed)');
            }
            this.missing.delete(jobId);
            if (job.finishedOn === undefined) return;
            if (job.failedReason) handler('failed', job.failedReason);
            else handler('completed', job.returnvalue);
          },
          () => undefined,
        );
      }
    }, RECONCILE_MS);
    this.reconcileTimer.unref();
  }
}

/** A job's return value (from the event stream: JSON text) as a result, or why it is none. */
function parseResult(value: unknown): JobResult | { error: string } {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      return { error: 'a worker returned no step report (its return value is not JSON)' };
    }
  }
  const report = isObject(parsed) ? parsed.report : undefined;
  if (isObject(report) && typeof report.status === 'string') return parsed as unknown as JobResult;
  return { error: 'a worker returned no step report' };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function selectSteps(workflow: Workflow, options: RunOptions): readonly WorkflowStep[] {
  if (options.only !== undefined) {
    const s = workflow.get(options.only);
    if (!s) throw unknownStepId(options.only);
    return [s];
  }
  if (options.from !== undefined) {
    const at = workflow.indexOf(options.from);
    if (at < 0) throw unknownStepId(options.from);
    return workflow.steps.slice(at);
  }
  return workflow.steps;
}

function unknownStepId(id: string): FancyflowError {
  return new FancyflowError('UNKNOWN_STEP_ID', `The workflow has no step "${id}"`, {
    details: { stepId: id },
  });
}

function firstBlocked(step: WorkflowStep, unavailable: Set<string>): [string, string] | undefined {
  for (const argument in step.wiring) {
    const cellId = step.wiring[argument]!;
    if (unavailable.has(cellId)) return [argument, cellId];
  }
  return undefined;
}
