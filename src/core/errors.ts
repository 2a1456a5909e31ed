/**
 * The one error type of fancyflow. Errors are data: a `code` from {@link ErrorCode}, a message for
 * people, JSON-safe `details`, the original error as `cause`, and `toJSON()`.
 *
 * Recognise errors with {@link isFancyflowError} (by `name` and `code`), not only `instanceof`: a
 * notebook can load two copies of this package.
 *
 * Messages and details often quote outside input (an id, a key, a zod issue): they are bounded
 * ({@link ERROR_LIMITS}), so an error never grows with what a client sent.
 */
import { boundJson, clipText, ERROR_LIMITS } from './clip';

export { clipText, ERROR_LIMITS } from './clip';

/** Every error code, with the exit code the CLI uses for it (2 = bad input, 1 = a run failed). */
export const ErrorCode = {
  /** The text is not JSON. */
  INVALID_JSON: 'INVALID_JSON',
  /**
   * A workflow document does not match the format, uses a key that is never allowed
   * (`__proto__`, `constructor`, `prototype`) or nests too deep (JSON pointer in `details.pointer`).
   */
  INVALID_DOCUMENT: 'INVALID_DOCUMENT',
  /** A workflow document of a format version this build cannot read. */
  UNSUPPORTED_FORMAT_VERSION: 'UNSUPPORTED_FORMAT_VERSION',
  /** A step slug that does not match the slug pattern. */
  INVALID_SLUG: 'INVALID_SLUG',
  /** Two different steps registered under one slug. */
  DUPLICATE_SLUG: 'DUPLICATE_SLUG',
  /** A slug that no registered step has. */
  UNKNOWN_STEP: 'UNKNOWN_STEP',
  /** A step definition that is not usable (bad contracts, traits that contradict each other). */
  INVALID_DEFINITION: 'INVALID_DEFINITION',
  /** A required argument was not wired. */
  MISSING_ARGUMENT: 'MISSING_ARGUMENT',
  /** An argument the step does not declare was wired. */
  UNKNOWN_ARGUMENT: 'UNKNOWN_ARGUMENT',
  /** A reference that is neither a cell, a cell id nor a workflow step. */
  INVALID_REFERENCE: 'INVALID_REFERENCE',
  /** The static config fails its schema. */
  INVALID_CONFIG: 'INVALID_CONFIG',
  /** Two steps of one workflow share an id. */
  DUPLICATE_STEP_ID: 'DUPLICATE_STEP_ID',
  /** Wiring to a cell that no earlier step produces and the store does not hold. */
  MISSING_CELL: 'MISSING_CELL',
  /** Wiring to a cell that a later step produces. */
  FORWARD_REFERENCE: 'FORWARD_REFERENCE',
  /** A step id that the workflow does not contain. */
  UNKNOWN_STEP_ID: 'UNKNOWN_STEP_ID',
  /** An input value fails its contract. */
  INPUT_CONTRACT: 'INPUT_CONTRACT',
  /** A step returned a value its output contract refuses. */
  OUTPUT_CONTRACT: 'OUTPUT_CONTRACT',
  /** A step threw or its promise rejected. */
  STEP_FAILED: 'STEP_FAILED',
  /** A step was not run because a step it depends on did not complete. */
  DEPENDENCY_FAILED: 'DEPENDENCY_FAILED',
  /** The run was cancelled through its AbortSignal. */
  CANCELLED: 'CANCELLED',
  /** A run was asked for while one of the same notebook goes on. */
  RUN_IN_PROGRESS: 'RUN_IN_PROGRESS',
  /** The store holds no datum for this cell id. */
  DATUM_NOT_FOUND: 'DATUM_NOT_FOUND',
  /** A stored datum's file is unreadable, truncated or corrupt. */
  CORRUPT_DATUM: 'CORRUPT_DATUM',
  /** The store cannot persist a value of this kind. */
  UNPERSISTABLE: 'UNPERSISTABLE',
  /** A store operation failed for a reason outside the datum (disk full, permissions). */
  STORE_IO: 'STORE_IO',
  /** Another live process held the store's lock for longer than the wait allowed. */
  STORE_LOCKED: 'STORE_LOCKED',
  /** A stored datum with nothing to check it against (written by an older version). */
  UNCHECKED_DATUM: 'UNCHECKED_DATUM',
  /** A step module named by a workflow could not be loaded. */
  MODULE_LOAD: 'MODULE_LOAD',
  /** A file could not be read. */
  FILE_READ: 'FILE_READ',
  /** A file could not be written. */
  FILE_WRITE: 'FILE_WRITE',
  /** A comm or kernel protocol message that does not match the protocol. */
  PROTOCOL: 'PROTOCOL',
  /** No fancyflow kernel answers (none, another kernel, restarting, dead), or a request timed out. */
  KERNEL_UNAVAILABLE: 'KERNEL_UNAVAILABLE',
  /**
   * The distributed queue cannot be used: Redis unreachable or refusing, a queue URL that is not
   * one, or a store the queue's workers cannot share (memory).
   */
  QUEUE_UNAVAILABLE: 'QUEUE_UNAVAILABLE',
  /**
   * A queue worker could not run a step for reasons outside the step: it died more often than
   * allowed while running it, or failed before the step could start.
   */
  WORKER_FAILED: 'WORKER_FAILED',
  /** A value of a kind that the operation does not support (no table adapter knows it, …). */
  UNSUPPORTED_VALUE: 'UNSUPPORTED_VALUE',
  /** A bug: a state that should not be reachable. */
  INTERNAL: 'INTERNAL',
} as const;

/** One of the codes of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A JSON-safe value, as carried in `details`. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A zod issue reduced to what survives JSON: the path and message. */
export interface SerializedIssue {
  path: (string | number)[];
  message: string;
  code: string;
}

/** The JSON form of a {@link FancyflowError}. */
export interface SerializedError {
  name: 'FancyflowError';
  code: ErrorCode;
  message: string;
  details: Record<string, JsonValue>;
  cause?: SerializedCause;
  stack?: string;
}

/** The JSON form of an error's cause. */
export interface SerializedCause {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

/**
 * The error thrown (and reported) everywhere in fancyflow.
 *
 * @example
 * try { wf.add(s) } catch (e) { if (isFancyflowError(e, 'MISSING_CELL')) … }
 */
export class FancyflowError extends Error {
  override readonly name = 'FancyflowError' as const;
  readonly code: ErrorCode;
  readonly details: Record<string, JsonValue>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, JsonValue>; cause?: unknown } = {},
  ) {
    super(
      clipText(message, ERROR_LIMITS.message),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.details =
      options.details === undefined
        ? {}
        : (boundJson(options.details) as Record<string, JsonValue>);
  }

  /** A JSON-safe copy: code, message, details, the cause's name/message/stack and the stack. */
  toJSON(): SerializedError {
    const out: SerializedError = {
      name: this.name,
      code: this.code,
      message: this.message,
      details: this.details,
    };
    if (this.cause !== undefined) out.cause = serializeCause(this.cause);
    if (this.stack !== undefined) out.stack = clipText(this.stack, ERROR_LIMITS.stack);
    return out;
  }
}

function serializeCause(cause: unknown): SerializedCause {
  if (
    cause instanceof Error ||
    (typeof cause === 'object' && cause !== null && 'message' in cause)
  ) {
    const e = cause as Error & { code?: unknown };
    const out: SerializedCause = {
      name: clipText(String(e.name ?? 'Error'), ERROR_LIMITS.key),
      message: clipText(String(e.message), ERROR_LIMITS.message),
    };
    if (typeof e.code === 'string') out.code = clipText(e.code, ERROR_LIMITS.key);
    if (typeof e.stack === 'string') out.stack = clipText(e.stack, ERROR_LIMITS.stack);
    return out;
  }
  return { name: typeof cause, message: clipText(String(cause), ERROR_LIMITS.message) };
}

/**
 * True when `e` is a fancyflow error (of `code`, when given), whichever copy of the package made it.
 */
export function isFancyflowError(e: unknown, code?: ErrorCode): e is FancyflowError {
  if (typeof e !== 'object' || e === null) return false;
  const candidate = e as { name?: unknown; code?: unknown };
  if (candidate.name !== 'FancyflowError' || typeof candidate.code !== 'string') return false;
  return code === undefined || candidate.code === code;
}

/** Turns anything thrown into a {@link FancyflowError}, keeping fancyflow errors as they are. */
export function toFancyflowError(e: unknown, code: ErrorCode, message?: string): FancyflowError {
  if (isFancyflowError(e)) return e;
  const text = e instanceof Error ? e.message : String(e);
  return new FancyflowError(code, message ?? text, { cause: e });
}

/** zod issues (v4 shape) reduced to JSON-safe path + message + code. */
export function serializeIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string; code?: string }[],
): SerializedIssue[] {
  return issues.map((issue) => ({
    path: issue.path.map((p) => (typeof p === 'number' ? p : String(p))),
    message: issue.message,
    code: issue.code ?? 'custom',
  }));
}

/** `['a', 0, 'b']` → `/a/0/b` (RFC 6901). */
export function toJsonPointer(path: readonly (string | number)[]): string {
  return path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** `a.b[0]` style path for messages; `(root)` for the empty path. */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Turns a JSON value that might hold `undefined` or non-plain objects into a JSON-safe value. */
export function toJsonValue(value: unknown): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJsonValue(v);
    return out;
  }
  return String(value);
}
