/**
 * The JSON format of workflows (`formatVersion` 2) and of a step cell's notebook metadata, as zod
 * schemas. `schema/*.schema.json` are generated from these (`scripts/generate-schemas.js`).
 * Version 1 documents are read too: {@link migrateDocument} brings them to version 2.
 */
import { z } from 'zod';

/** The format version this build writes (it also reads the versions before it). */
export const FORMAT_VERSION = 2;

/** The format versions this build reads. */
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2];

/** The top-level key under which notebooks carry the workflow document, and cells their step. */
export const NOTEBOOK_METADATA_KEY = 'fancyflow';

const json = z.json();

/** A step as stored in a workflow document. */
export const SerializedStepSchema = z
  .object({
    id: z.string().min(1).describe('The step id; also the id of the cell holding its output.'),
    slug: z.string().min(1).describe('The slug of the registered step to run.'),
    version: z.string().min(1).describe('The step version the wiring was made with.'),
    wiring: z
      .record(z.string(), z.string().min(1))
      .describe('Argument name → id of the cell passed as that argument.'),
    config: z.record(z.string(), json).describe('The static config (JSON), defaults applied.'),
    title: z.string().optional().describe('A title for workflow views.'),
    name: z.string().min(1).optional().describe('A readable name for the output cell.'),
  })
  .strict();

/** A workflow document. */
export const WorkflowDocumentSchema = z
  .object({
    formatVersion: z.literal(FORMAT_VERSION).describe('The format version: 2.'),
    steps: z.array(SerializedStepSchema).describe('The steps, in the order they run.'),
    modules: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Modules that define the steps, loaded before running: package names (`fancyflow`) or paths relative to the document.',
      ),
    definitions: z
      .record(z.string().min(1), z.string().min(1))
      .default({})
      .describe(
        "Steps defined in the notebook's own cells: slug → id of the cell whose execution registers it (that cell runs before the steps that use it).",
      ),
    metadata: z
      .record(z.string(), json)
      .default({})
      .describe('Free metadata (name, author, description, …).'),
  })
  .strict()
  .meta({
    $id: 'https://fancyflow.dev/schema/workflow.schema.json',
    title: 'fancyflow workflow',
    description: 'A typed, replayable data workflow: steps in order, their wiring and config.',
  });

/** A workflow document, as parsed (defaults applied). */
export type WorkflowDocument = z.output<typeof WorkflowDocumentSchema>;

/**
 * A document of an older format version brought to the current one (version 1 had no
 * `definitions`); other values are returned as they are, for the schema to judge.
 */
export function migrateDocument(document: unknown): unknown {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return document;
  const version = (document as { formatVersion?: unknown }).formatVersion;
  if (version === 1) return { ...document, formatVersion: FORMAT_VERSION };
  return document;
}

/**
 * The statuses a step can be in. `cached`: the step did not run, its output was already in the
 * store under the same cache key (it counts as completed).
 */
export const StepStatusSchema = z.enum([
  'pending',
  'running',
  'completed',
  'cached',
  'failed',
  'skipped',
  'cancelled',
]);

/** One step's status. */
export type StepStatus = z.output<typeof StepStatusSchema>;

/** True for the statuses after which the step's output is in the store: `completed` and `cached`. */
export function hasOutput(status: StepStatus | undefined): boolean {
  return status === 'completed' || status === 'cached';
}

const fingerprintSchema = z.string().min(1).max(128);

/**
 * The schema of a StepRecord read from a file (notebook metadata, a store's index): bounded
 * strings, so a forged record cannot smuggle data in.
 */
export const StepRecordSchema = z
  .object({
    stepId: z.string().min(1).max(1024),
    slug: z.string().min(1).max(256),
    version: z.string().min(1).max(128),
    code: fingerprintSchema,
    config: z.json(),
    inputs: z
      .record(
        z.string().max(256),
        z.object({ cell: z.string().min(1).max(1024), fingerprint: fingerprintSchema }).strict(),
      )
      .refine((inputs) => Object.keys(inputs).length <= 256, 'too many inputs'),
    key: fingerprintSchema,
    output: fingerprintSchema.optional(),
    source: z.string().max(1024).optional(),
    status: StepStatusSchema,
    cached: z.boolean(),
    durationMs: z.number().nonnegative().finite(),
    runId: z.string().min(1).max(256),
    at: z.string().min(1).max(64),
  })
  .strict();

/** The `fancyflow` metadata of a notebook step cell. */
export const CellMetadataSchema = z
  .object({
    stepId: z
      .string()
      .min(1)
      .describe('The WorkflowStep id (the cell id when made in a notebook).'),
    slug: z.string().min(1),
    version: z.string().min(1),
    wiring: z.record(z.string(), z.string().min(1)),
    config: z.record(z.string(), json),
    name: z.string().min(1).optional().describe('The readable name of the output cell.'),
    title: z.string().optional().describe('A title for workflow views.'),
    customCode: z
      .boolean()
      .optional()
      .describe(
        "True when the cell's code no longer has the generated shape (config edited in code only).",
      ),
    status: StepStatusSchema.optional().describe('The status of the last run.'),
    durationMs: z.number().nonnegative().optional().describe('How long the last run took.'),
    outputCellId: z.string().optional().describe('The id of the cell holding the output.'),
    outputShape: z.array(z.number()).optional().describe("The output's shape ([rows, columns])."),
    error: z
      .object({ code: z.string(), message: z.string() })
      .optional()
      .describe('The error of the last run, when it failed.'),
    record: StepRecordSchema.optional().describe(
      "What produced the step's last output: code, config and input fingerprints, cache key, output fingerprint (no data).",
    ),
  })
  .strict()
  .meta({
    $id: 'https://fancyflow.dev/schema/cell-metadata.schema.json',
    title: 'fancyflow step cell metadata',
  });

/** The `fancyflow` metadata of a notebook step cell. */
export type CellMetadata = z.output<typeof CellMetadataSchema>;
