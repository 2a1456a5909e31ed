/**
 * Live progress of a run on stderr. On a terminal every step gets a line that updates in place
 * (spinner and elapsed time while it runs, its outcome when done); elsewhere (a pipe, a CI log)
 * each finished step prints one plain line: `[2/5] clean (drop_nulls) completed in 12 ms`.
 *
 * Only the live line is ever redrawn: finished lines are final, and the cost does not grow with the
 * number of steps. A queued run (`--queue`) runs independent steps at once: the live line shows the
 * step that started last and how many others are running.
 */
import type { RunEvent, StepReport } from '../core';
import { CLEAR_LINE, HIDE_CURSOR, SHOW_CURSOR, palette, truncate, type Palette } from './ansi';
import type { CliOutput } from './context';
import { displayStatus } from './run-summary';
import { formatDuration } from './text-format';

/** Receives the Orchestrator's events and draws them. */
export interface RunProgress {
  onEvent(event: RunEvent): void;
  /** Writes a line of its own (above the live line, which is redrawn). */
  note(text: string): void;
  /** Stops the spinner and restores the cursor. Safe to call more than once. */
  close(): void;
}

/** Options of {@link createRunProgress}. */
export interface RunProgressOptions {
  /** Draw updating lines (a terminal). Default: `stream.isTTY`. */
  live?: boolean;
  /** Default false. */
  color?: boolean;
  /** Spinner frame interval in ms. Default 80. */
  intervalMs?: number;
  /** The clock (epoch ms). Default `Date.now`. */
  now?: () => number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

interface Running {
  label: string;
  startedAt: number;
}

/** `[2/5] clean (drop_nulls)` */
function labelOf(step: StepReport, index: number, total: number): string {
  const label = step.name === step.slug ? step.slug : `${step.name} (${step.slug})`;
  return `[${index + 1}/${total}] ${label}`;
}

/** The outcome part of a finished step's line: `completed in 12 ms`, `failed in 3 ms: CODE`. */
export function describeOutcome(step: StepReport): string {
  const status = displayStatus(step);
  const time = step.durationMs === undefined ? '' : formatDuration(step.durationMs);
  switch (status) {
    case 'completed':
      return `completed in ${time}`;
    case 'failed':
      return `failed in ${time}: ${step.error?.code ?? 'unknown error'}`;
    case 'cancelled':
      return step.durationMs === undefined ? 'cancelled' : `cancelled after ${time}`;
    case 'skipped':
      return `skipped${step.error ? ` (${step.error.code})` : ''}`;
    default:
      return status;
  }
}

function icon(status: string, colors: Palette): string {
  switch (status) {
    case 'completed':
      return colors.green('✔');
    case 'failed':
      return colors.red('✖');
    case 'cancelled':
      return colors.yellow('⊘');
    default:
      return colors.yellow('-');
  }
}

/**
 * Makes the progress display for one run.
 *
 * @example
 * const progress = createRunProgress(process.stderr, { color: true });
 * await orchestrator.run(workflow, { onEvent: (e) => progress.onEvent(e) });
 * progress.close();
 */
export function createRunProgress(
  stream: CliOutput,
  options: RunProgressOptions = {},
): RunProgress {
  const live = options.live ?? stream.isTTY === true;
  const colors = palette(options.color ?? false);
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 80;
  const positions = new Map<string, number>();
  let total = 0;
  /** The steps running now, in the order they started. */
  const running = new Map<string, Running>();
  let frame = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let cursorHidden = false;

  const draw = (): void => {
    let latest: Running | undefined;
    for (const r of running.values()) latest = r;
    if (!latest) return;
    const elapsed = `${(Math.max(0, now() - latest.startedAt) / 1000).toFixed(1)} s`;
    const others = running.size > 1 ? ` (+${running.size - 1} running)` : '';
    const width = (stream.columns ?? 80) - 3;
    const text = truncate(`${latest.label} ${elapsed}${others}`, width);
    stream.write(`${CLEAR_LINE}${colors.cyan(SPINNER[frame % SPINNER.length]!)} ${text}`);
  };

  const stopTimer = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };

  const finished = (step: StepReport, index: number): void => {
    const label = labelOf(step, index, total);
    const line = `${label} ${describeOutcome(step)}`;
    if (live) {
      running.delete(step.stepId);
      if (running.size === 0) stopTimer();
      stream.write(`${CLEAR_LINE}${icon(displayStatus(step), colors)} ${line}\n`);
      draw();
    } else {
      stream.write(line + '\n');
    }
  };

  return {
    onEvent(event) {
      if (event.type === 'run-started') {
        total = event.stepIds.length;
        event.stepIds.forEach((id, i) => positions.set(id, i));
        if (live && !cursorHidden) {
          stream.write(HIDE_CURSOR);
          cursorHidden = true;
        }
        return;
      }
      if (event.type !== 'step-status') return;
      let index = positions.get(event.stepId);
      if (index === undefined) {
        // a step the run did not announce (a notebook cell without saved step metadata)
        index = positions.size;
        positions.set(event.stepId, index);
        total = Math.max(total, positions.size);
      }
      if (event.status === 'running') {
        if (!live) return;
        running.delete(event.stepId);
        running.set(event.stepId, {
          label: labelOf(event, index, total),
          startedAt: event.startedAt ?? now(),
        });
        frame = 0;
        draw();
        if (timer === undefined) {
          timer = setInterval(() => {
            frame++;
            draw();
          }, intervalMs);
          timer.unref?.();
        }
        return;
      }
      if (event.status !== 'pending') finished(event, index);
    },
    note(text) {
      if (live && running.size > 0) {
        stream.write(`${CLEAR_LINE}${text}\n`);
        draw();
      } else {
        stream.write(`${text}\n`);
      }
    },
    close() {
      stopTimer();
      if (live && running.size > 0) stream.write(CLEAR_LINE);
      running.clear();
      if (cursorHidden) {
        stream.write(SHOW_CURSOR);
        cursorHidden = false;
      }
    },
  };
}
