/**
 * Test helpers: run the built `bin/fancyflow.js` in a child process (bounded time, killed by pid)
 * and check the one-line error of an invalid input.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'vitest';

export const repoRoot = path.resolve(__dirname, '..', '..');
const BIN = path.join(repoRoot, 'bin', 'fancyflow.js');

/** How a CLI run ended and what it printed. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const running = new Set<number>();

/** Kills (SIGKILL, by pid) every CLI process still running. */
export function killRunning(): void {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

/**
 * Runs `fancyflow <args>` in `cwd`; `onStderr` sees stderr as it arrives and may signal the child.
 * Killed after `timeoutMs`.
 */
export function runCli(
  args: string[],
  options: {
    cwd: string;
    onStderr?: (text: string, pid: number) => void;
    timeoutMs?: number;
  },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid!;
    running.add(pid);
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 50_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      options.onStderr?.(stderr, pid);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(pid);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The non-empty lines of a text. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Asserts exit 2 and the one line `fancyflow: <file>: <code> at <pointer>: …`; returns it. */
export function expectInvalid(
  result: CliResult,
  file: string,
  code: string,
  pointer: string,
): string {
  expect(result.code, result.stderr.slice(0, 2000)).toBe(2);
  expect(result.stdout).toBe('');
  const errorLines = lines(result.stderr);
  expect(errorLines).toHaveLength(1);
  expect(errorLines[0]).toMatch(
    new RegExp(`^fancyflow: ${escape(file)}: ${code} at ${escape(pointer)}: \\S`),
  );
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  return errorLines[0]!;
}
