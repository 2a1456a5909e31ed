/**
 * Which process left a temp file or holds a lock, and whether it is gone, so that what a dead
 * process left can be cleaned up without ever touching what a live one is still writing.
 *
 * A process is named by its host, its pid and its start time. The start time (Linux: clock ticks
 * after boot, from /proc) tells a reused pid from the original one; elsewhere it is 0 and only the
 * pid is checked. Nothing is judged for another host (a shared network folder): it counts as alive.
 */
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { checksumOf } from './checksum';

/** A process, as recorded in temp file names and lock files. */
export interface ProcessOwner {
  /** A short tag of the host name (8 hex digits). */
  host: string;
  pid: number;
  /** The process start time (Linux clock ticks after boot), 0 when unknown. */
  start: number;
}

interface ProcStat {
  state: string;
  start: number;
}

/** State and start time of a process from /proc (Linux), undefined where there is no /proc. */
function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); the start time is field 22
  return { state: fields[0] ?? '', start: Number(fields[19] ?? 0) || 0 };
}

function hostTag(name: string): string {
  return checksumOf([Buffer.from(name, 'utf8')]).slice(-8);
}

/** This process. */
export const SELF: Readonly<ProcessOwner> = Object.freeze({
  host: hostTag(os.hostname()),
  pid: process.pid,
  start: procStat(process.pid)?.start ?? 0,
});

/** False when `owner` has certainly ended; true when it runs or cannot be judged (another host). */
function mayBeRunning(owner: ProcessOwner): boolean {
  if (owner.host !== SELF.host) return true;
  if (!(owner.pid > 0)) return false; // kill(0) would signal our own process group
  if (owner.pid === SELF.pid) return owner.start === 0 || owner.start === SELF.start;
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    // EPERM: the process exists but belongs to another user
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const stat = procStat(owner.pid);
  if (!stat) return true;
  // a zombie has ended (its parent has not collected it yet); another start time is another process
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return owner.start === 0 || stat.start === owner.start;
}

/**
 * True when what `owner` left (a file last modified at `mtimeMs`) can be removed: the process has
 * ended, or the file is older than the machine's last boot (every process of that time is gone,
 * and its pid may well belong to another process now).
 */
export function ownerIsGone(owner: ProcessOwner, mtimeMs: number): boolean {
  if (owner.host === SELF.host && beforeBoot(mtimeMs)) return true;
  return !mayBeRunning(owner);
}

/** True when a file last modified at `mtimeMs` is older than this machine's last boot. */
export function beforeBoot(mtimeMs: number): boolean {
  return mtimeMs < Date.now() - os.uptime() * 1000 - 5_000; // uptime has whole seconds: a margin
}

/** The owner as text for file names: `<host>.<pid>.<start>`. */
export function ownerTag(owner: ProcessOwner): string {
  return `${owner.host}.${owner.pid}.${owner.start}`;
}

const TAG = /^([0-9a-f]{8})\.(\d+)\.(\d+)$/;

/** The owner named by {@link ownerTag}, or undefined. */
export function parseOwnerTag(text: string): ProcessOwner | undefined {
  const m = TAG.exec(text);
  return m ? { host: m[1]!, pid: Number(m[2]), start: Number(m[3]) } : undefined;
}
