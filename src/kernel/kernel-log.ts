/**
 * The kernel's own log: the process's real stderr (which Jupyter keeps in its server log), captured
 * before cell output capture replaces `process.stderr.write`. Kept light: imported first.
 */

const realStderrWrite = process.stderr.write.bind(process.stderr);
const realStdoutWrite = process.stdout.write.bind(process.stdout);

/** The longest line the log writes: messages may quote what a client sent. */
const MAX_LOG_LINE = 2_000;

/** Writes one line to the kernel's log (the real stderr), never to a cell. */
export function kernelLog(message: string): void {
  const line =
    message.length <= MAX_LOG_LINE
      ? message
      : `${message.slice(0, MAX_LOG_LINE)}… (${message.length - MAX_LOG_LINE} more characters)`;
  realStderrWrite(`[fancyflow kernel] ${line}\n`);
}

/** Writes to the process's real stdout or stderr (output no cell can take). */
export function writeToProcess(name: 'stdout' | 'stderr', text: string): void {
  (name === 'stdout' ? realStdoutWrite : realStderrWrite)(text);
}
