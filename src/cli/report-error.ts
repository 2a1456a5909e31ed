/**
 * How the CLI tells a user what went wrong: one line on stderr that says what and where
 * (`fancyflow: <file>: <code> at <json pointer>: <message>`), never a bare stack trace unless
 * `--debug` asks for one.
 */
import { clipText, ERROR_LIMITS, isFancyflowError, type FancyflowError } from '../core';
import type { CliOutput } from './context';

/** Exit codes of the CLI. */
export const ExitCode = {
  /** Every step completed (or the check passed). */
  OK: 0,
  /** A step failed, or an unexpected error. */
  FAILED: 1,
  /** The input is invalid: unreadable file, bad JSON, schema violation, unknown slug, bad wiring, … */
  INVALID_INPUT: 2,
  /** The run was cancelled with Ctrl-C (128 + SIGINT). */
  INTERRUPTED: 130,
} as const;

/** Where an error is: a JSON pointer, or a line and column for text that is not JSON. */
function locationOf(error: FancyflowError): string | undefined {
  const { pointer, line, column } = error.details;
  if (typeof line === 'number' && typeof column === 'number')
    return `line ${line}, column ${column}`;
  if (typeof pointer === 'string') return pointer === '' ? '(root)' : pointer;
  return undefined;
}

/** The message without the location its text may already start with, on one line. */
function bareMessage(error: FancyflowError): string {
  let message = error.message;
  const pointer = error.details.pointer;
  if (typeof pointer === 'string' && pointer !== '' && message.startsWith(`${pointer}: `)) {
    message = message.slice(pointer.length + 2);
  } else if (message.startsWith('(root): ')) {
    message = message.slice('(root): '.length);
  }
  message = message.replace(/^Invalid JSON at line \d+, column \d+: /, 'Invalid JSON: ');
  return oneLine(message);
}

/** Collapses a text to a single line. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/**
 * The one-line description of an error: `fancyflow: <file>: <code> at <pointer>: <message>`
 * (the file and the location are left out when unknown).
 */
export function formatErrorLine(error: unknown, file?: string): string {
  const head = file === undefined ? 'fancyflow:' : `fancyflow: ${file}:`;
  if (isFancyflowError(error)) {
    const where = locationOf(error);
    return `${head} ${error.code}${where === undefined ? '' : ` at ${where}`}: ${bareMessage(error)}`;
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `${head} ${oneLine(clipText(message, ERROR_LIMITS.message))}`;
}

/** The stack of an error and of its causes, for `--debug`. */
export function formatErrorStack(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const e = current as { stack?: unknown; message?: unknown; cause?: unknown };
    parts.push(
      (depth === 0 ? '' : 'Caused by: ') +
        (typeof e.stack === 'string' ? e.stack : String(e.message ?? current)),
    );
    current = typeof current === 'object' ? e.cause : undefined;
  }
  return parts.join('\n');
}

/** Writes the one-line message (and the stack with `debug`) to `stream`. */
export function reportError(
  stream: CliOutput,
  error: unknown,
  options: { file?: string; debug?: boolean } = {},
): void {
  stream.write(formatErrorLine(error, options.file) + '\n');
  if (options.debug) stream.write(formatErrorStack(error) + '\n');
}
