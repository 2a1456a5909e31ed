/**
 * The comm protocol between the JupyterLab extension and the fancyflow kernel (comm target
 * `fancyflow`), as zod schemas shared by both sides. Imports only zod and core types.
 *
 * Every request carries `v` (the protocol version) and a request `id`; the kernel answers each with
 * one `reply` (ok with a `result`, or not ok with a coded `error`). While a step runs the kernel
 * also sends `event` messages; when a cell changes the registry or the workflow it sends
 * `registry-changed` / `workflow-changed` (or `workflow-patch`, what changed, to a front end that
 * said in `hello` it applies them). Replies and pushes go in `comm_msg` data.
 *
 * Nothing here runs code: steps run only when their cells execute (execute requests, the one
 * queue of the kernel), and the front end interrupts a run with the kernel's own interrupt.
 */
import { z } from 'zod';
import type { FancyCell } from '../core/cell';
import type { SerializedError } from '../core/errors';
import type { RunEvent, StepReport } from '../core/orchestrator';
import type { StepDescriptor } from '../core/step';
import type { StepRecord } from '../core/freshness';
import type { WorkflowDocument } from '../core/format';
import type { Row } from '../core/table';
import type { StatePatch } from './state-patch';

/** The comm target name. */
export const COMM_TARGET = 'fancyflow';

/** The protocol version this build speaks. */
export const PROTOCOL_VERSION = 2;

/** The MIME type of a FancyCell display. */
export const CELL_MIME_TYPE = 'application/vnd.fancyflow.cell+json';

/**
 * The longest request id, cell id, step id or cell name a request may carry. Replies and errors
 * quote them, so a request can never make the kernel echo more than this (nbformat cell ids have
 * at most 64 characters).
 */
export const MAX_ID_LENGTH = 1024;

/** The longest store path a `hello` may ask for. */
export const MAX_PATH_LENGTH = 4096;

const identifier = z.string().min(1).max(MAX_ID_LENGTH);

const base = { v: z.literal(PROTOCOL_VERSION), id: identifier };

/** Requests the front end sends. */
export const RequestSchema = z.discriminatedUnion('type', [
  /** Protocol and kernel facts. */
  z.object({
    ...base,
    type: z.literal('hello'),
    /**
     * The store the user's lab settings ask for (`memory` or a folder path). A kernel that may
     * switch (it has stored nothing yet) does; `hello`'s `store` reply says what is in force.
     */
    store: z.string().min(1).max(MAX_PATH_LENGTH).optional(),
    /**
     * The queue the settings ask step cells to run on (`redis://host:port`), or `''` for none
     * (in the kernel). Absent: the kernel keeps what it has (its `FANCYFLOW_QUEUE`).
     */
    queue: z.string().max(MAX_PATH_LENGTH).optional(),
    /**
     * The front end applies `workflow-patch` pushes: after `get-workflow`'s reply (or a
     * `workflow-changed`) on this comm, the kernel sends what changed instead of the whole state.
     * Absent: every change comes as a whole `workflow-changed`.
     */
    statePatches: z.boolean().optional(),
  }),
  /** The registry: every step's descriptor, with its code fingerprint and cacheability. */
  z.object({ ...base, type: z.literal('list-steps') }),
  /**
   * Force a recompute: the next execution of each of these step cells (of every step cell of the
   * workflow when `cellIds` is absent) runs its step whatever the cache holds, instead of answering
   * it `cached`. One-shot per cell. The panel sends it before executing the cells for "Run this
   * step" / "Run all" with a modifier key; it runs nothing itself.
   */
  z.object({
    ...base,
    type: z.literal('recompute'),
    cellIds: z.array(identifier).max(10_000).optional(),
  }),
  /** The session's workflow, every step's latest status and the store's cells. */
  z.object({ ...base, type: z.literal('get-workflow') }),
  /** A cell's FancyCell and the first rows (tables) or the value (JSON, truncated). */
  z.object({
    ...base,
    type: z.literal('preview'),
    cellId: identifier,
    rows: z.number().int().min(0).max(1000).default(20),
  }),
]);

/** A request the front end sends. */
export type Request = z.input<typeof RequestSchema>;
/** A request as the kernel parsed it (defaults applied). */
export type ParsedRequest = z.output<typeof RequestSchema>;

/** The results, by request type. */
export interface ResultMap {
  hello: {
    protocolVersion: number;
    kernelVersion: string;
    store: string;
    /** The queue step cells run on (`''`: in the kernel). Absent from older kernels. */
    queue?: string;
  };
  'list-steps': { steps: StepDescriptorWithCode[] };
  /** The cells whose next run recomputes. */
  recompute: { cellIds: string[] };
  'get-workflow': WorkflowState;
  preview: { cell: FancyCell; rows?: Row[]; value?: unknown; truncated: boolean };
}

/**
 * A step's descriptor as the kernel lists it: with its current code fingerprint (`code`, what a
 * StepRecord's `code` is compared with) and whether it may be answered from the cache.
 */
export type StepDescriptorWithCode = StepDescriptor & { code: string; cacheable: boolean };

/** What the kernel knows of the notebook, for the panel. */
export interface WorkflowState {
  /** The step cells executed in this kernel, in execution order. */
  workflow: WorkflowDocument;
  /** stepId → the latest status (absent for steps never run in this kernel). */
  statuses: Record<string, StepReport>;
  cells: FancyCell[];
  /** cell name → cell id, for the readable names of cells. */
  names: Record<string, string>;
  /** True while a step runs. */
  running: boolean;
  /** Cell id → execution count, for every cell executed in this kernel. */
  executed: Record<string, number>;
  /** Slug → the cell whose execution registered the step in this kernel. */
  definitions: Record<string, string>;
  /**
   * stepId → the StepRecord of the step's output in the store (what produced it: code, config and
   * input fingerprints, cache key, output fingerprint); with {@link freshness} and `list-steps`'s
   * code fingerprints the panel tells fresh from stale. Absent from older kernels. Each
   * `step-status` event of a finished step also carries its `record` (and `cache`: hit, miss or
   * off, with the miss `reasons`); a `cached` status means the step was answered from the cache.
   */
  records?: Record<string, StepRecord>;
}

/** A reply to one request. */
export type Reply<T extends keyof ResultMap = keyof ResultMap> =
  | { v: typeof PROTOCOL_VERSION; type: 'reply'; id: string; ok: true; result: ResultMap[T] }
  | { v: typeof PROTOCOL_VERSION; type: 'reply'; id: string; ok: false; error: SerializedError };

/** Messages the kernel sends without being asked. */
export type Push =
  | { v: typeof PROTOCOL_VERSION; type: 'event'; event: RunEvent }
  | { v: typeof PROTOCOL_VERSION; type: 'registry-changed'; steps: StepDescriptorWithCode[] }
  | { v: typeof PROTOCOL_VERSION; type: 'workflow-changed'; state: WorkflowState }
  /** What changed since the state last sent on this comm (see `state-patch.ts`). */
  | { v: typeof PROTOCOL_VERSION; type: 'workflow-patch'; patch: StatePatch };

/** Anything the kernel sends on the comm. */
export type KernelMessage = Reply | Push;

/** The shape of kernel messages, checked loosely (payloads are the kernel's own types). */
export const KernelMessageSchema = z.discriminatedUnion('type', [
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    type: z.literal('reply'),
    id: z.string(),
    ok: z.boolean(),
    result: z.unknown().optional(),
    error: z.object({ code: z.string(), message: z.string() }).passthrough().optional(),
  }),
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    type: z.literal('event'),
    event: z.object({ type: z.string() }).passthrough(),
  }),
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    type: z.literal('registry-changed'),
    steps: z.array(z.unknown()),
  }),
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    type: z.literal('workflow-changed'),
    state: z.object({}).passthrough(),
  }),
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    type: z.literal('workflow-patch'),
    patch: z.object({}).passthrough(),
  }),
]);

/** The content of a FancyCell display (`application/vnd.fancyflow.cell+json`). */
export interface CellDisplay {
  cell: FancyCell;
  /** The first rows of a table. */
  rows?: Row[];
  /** The step that produced it, with its status. */
  step?: StepReport;
}
