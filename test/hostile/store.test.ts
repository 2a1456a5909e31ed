/**
 * The disk store under attack, with real processes (store-worker.ts, run with tsx): several writers
 * at once, a writer SIGKILLed in the middle of a large write, flipped bytes in every kind of datum
 * file, damaged indexes, a lock left by a killed process, and folders the OS cannot create.
 *
 * Every child has a time limit and is killed by pid when a test ends; every folder is removed.
 * Nothing here measures time: a limit only stops a hang.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  promises as fs,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isFancyflowError, type FancyflowError } from '../../src/core/errors';
import { tableAdapterFor } from '../../src/core/table';
import {
  DiskDatumStore,
  INDEX_FILE,
  JOURNAL_FILE,
  LOCK_FILE,
} from '../../src/stores/disk-datum-store';
import { SELF } from '../../src/stores/process-owner';
import '../../src/tables/register';
import { KINDS, wrongCells } from './store-values';

const ROOT = path.resolve(__dirname, '..', '..');
const WORKER = path.join(__dirname, 'store-worker.ts');
const WORKER_LIMIT_MS = 90_000;

const root = mkdtempSync(path.join(tmpdir(), 'ff-hostile-store-'));
chmodSync(root, 0o755); // a worker running as another user must reach its folders
let counter = 0;
const freshDir = () => path.join(root, `store-${++counter}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface WorkerEvent {
  event: string;
  code?: string;
  message?: string;
  [key: string]: unknown;
}

interface Worker {
  pid: number;
  events: WorkerEvent[];
  /** The first event named `name` (resolves at once when it came already). */
  next(name: string): Promise<WorkerEvent>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

const running = new Map<number, ChildProcess>();
afterEach(() => {
  for (const [pid, child] of running) {
    child.kill('SIGKILL');
    running.delete(pid);
  }
});

function startWorker(command: Record<string, unknown>, as?: { uid: number; gid: number }): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(command)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(as ?? {}),
  });
  const pid = child.pid!;
  running.set(pid, child);
  const events: WorkerEvent[] = [];
  const waiters: (() => void)[] = [];
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    let newline: number;
    while ((newline = stdout.indexOf('\n')) >= 0) {
      events.push(JSON.parse(stdout.slice(0, newline)) as WorkerEvent);
      stdout = stdout.slice(newline + 1);
      for (const wake of waiters.splice(0)) wake();
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), WORKER_LIMIT_MS);
  let closed = false;
  let end = '';
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stderr: string;
  }>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(pid);
      closed = true;
      end = signal ? `killed by ${signal}` : `exit ${code}`;
      for (const wake of waiters.splice(0)) wake();
      resolve({ code, signal, stderr });
    }),
  );
  const next = async (name: string): Promise<WorkerEvent> => {
    for (;;) {
      const found = events.find((e) => e.event === name);
      if (found) return found;
      const error = events.find((e) => e.event === 'error');
      if (error) throw new Error(`worker ${pid}: ${error.code}: ${error.message}`);
      if (closed) throw new Error(`worker ${pid} ended (${end}) without "${name}": ${stderr}`);
      await new Promise<void>((wake) => waiters.push(wake));
    }
  };
  return { pid, events, next, exited };
}

async function errorOf(promise: Promise<unknown>): Promise<FancyflowError> {
  try {
    await promise;
  } catch (e) {
    if (isFancyflowError(e)) return e;
    throw e;
  }
  throw new Error('expected a FancyflowError');
}

/** Asserts that every cell of `ids` resolves to its value, checked by its checksum. */
async function expectIntact(store: DiskDatumStore, ids: readonly string[]): Promise<void> {
  expect(await wrongCells(store, ids)).toEqual([]);
}

/** The datum file of cell `id` in the store folder `dir`, as its index (and journal) says. */
async function storeFile(dir: string, id: string): Promise<string> {
  return (await DiskDatumStore.open(dir)).fileOf(id)!;
}

function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('.tmp-') || f === LOCK_FILE);
}

/** Ids of `count` cells of every kind, for writer `w`. */
function idsFor(w: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${KINDS[i % KINDS.length]}-${w}-${i}`);
}

/** Starts writers of `idsPerWriter` together (they wait for a go file) and waits until all are done. */
async function writeTogether(dir: string, idsPerWriter: string[][]): Promise<void> {
  const go = `${dir}.go`;
  const writers = idsPerWriter.map((ids) => startWorker({ op: 'write', dir, ids, go }));
  await Promise.all(writers.map((w) => w.next('ready')));
  await fs.writeFile(go, '');
  await Promise.all(writers.map((w) => w.next('done')));
  const ends = await Promise.all(writers.map((w) => w.exited));
  expect(ends.map((e) => e.code)).toEqual(writers.map(() => 0));
}

describe('DiskDatumStore, hostile', () => {
  it('four processes writing different cells into one store at once: every cell is there, correct and checked', async () => {
    const dir = freshDir();
    const ids = ['w0', 'w1', 'w2', 'w3'].map((w) => idsFor(w, 12));
    await writeTogether(dir, ids);
    const store = await DiskDatumStore.open(dir);
    expect(store.problems).toEqual([]);
    expect(
      store
        .list()
        .map((c) => c.id)
        .sort(),
    ).toEqual(ids.flat().sort());
    await expectIntact(store, ids.flat());
    expect(leftovers(dir)).toEqual([]);
  }, 180_000);

  it('two processes replacing the same cells: each cell is one whole value, with one file', async () => {
    const dir = freshDir();
    const shared = idsFor('both', 16);
    await writeTogether(dir, [shared, [...shared].reverse()]);
    const store = await DiskDatumStore.open(dir);
    expect(
      store
        .list()
        .map((c) => c.id)
        .sort(),
    ).toEqual([...shared].sort());
    await expectIntact(store, shared);
    // every replaced file was removed, whichever process replaced it
    expect(readdirSync(dir).sort()).toEqual(
      [INDEX_FILE, JOURNAL_FILE, ...shared.map((id) => path.basename(store.fileOf(id)!))].sort(),
    );
  }, 180_000);

  it('a writer SIGKILLed in the middle of a large table: the others are intact, its temp file goes at the next open', async () => {
    const dir = freshDir();
    await DiskDatumStore.open(dir); // the folder exists before anyone polls it
    const big = startWorker({ op: 'write-forever', dir, id: 'arrow-big', rows: 2_000_000 });
    await big.next('ready');
    const others = ['k0', 'k1'].map((w) => idsFor(w, 12));
    const writing = writeTogether(dir, others);
    // kill the big writer while its temp file is half written
    const ownTemp = `.tmp-${SELF.host}.${big.pid}.`;
    const halfWritten = (): string | undefined =>
      readdirSync(dir).find((f) => {
        if (!f.startsWith(ownTemp) || !f.endsWith('-datum')) return false;
        try {
          return statSync(path.join(dir, f)).size > 1_000_000;
        } catch {
          return false; // renamed meanwhile
        }
      });
    let temp: string | undefined;
    while (!(temp = halfWritten())) {
      if (big.events.some((e) => e.event === 'error')) throw new Error('the big writer failed');
      await new Promise((r) => setTimeout(r, 1));
    }
    process.kill(big.pid, 'SIGKILL');
    expect((await big.exited).signal).toBe('SIGKILL');
    expect(existsSync(path.join(dir, temp))).toBe(true); // left behind by the killed writer
    await writing;

    const store = await DiskDatumStore.open(dir);
    expect(existsSync(path.join(dir, temp))).toBe(false);
    expect(leftovers(dir)).toEqual([]);
    expect(store.problems).toEqual([]);
    await expectIntact(store, others.flat());
    // the big table is absent, or a whole earlier round of it
    if (store.has('arrow-big')) {
      const table = await store.resolve('arrow-big');
      expect(tableAdapterFor(table)?.numRows(table)).toBe(2_000_000);
    }
    await store.persist({ after: true }, { cellId: 'json-after' });
    expect(await (await DiskDatumStore.open(dir)).resolve('json-after')).toEqual({ after: true });
  }, 180_000);

  it('small writers SIGKILLed at random moments of their index updates: nothing the others wrote is lost', async () => {
    const dir = freshDir();
    await DiskDatumStore.open(dir); // the folder exists before anyone polls it
    const others = ['j0', 'j1'].map((w) => idsFor(w, 24));
    for (let round = 0; round < 3; round++) {
      const victim = startWorker({ op: 'write-forever', dir, id: `json-victim-${round}`, rows: 4 });
      await victim.next('ready');
      const writing = writeTogether(dir, others);
      // a few of its own writes first: it spends its time in the index update
      while (victim.events.filter((e) => e.event === 'written').length < 5 + round * 7) {
        if (victim.events.some((e) => e.event === 'error')) throw new Error('the victim failed');
        await new Promise((r) => setTimeout(r, 1));
      }
      process.kill(victim.pid, 'SIGKILL');
      expect((await victim.exited).signal).toBe('SIGKILL');
      await writing;
    }
    const store = await DiskDatumStore.open(dir);
    expect(store.problems).toEqual([]);
    expect(leftovers(dir)).toEqual([]);
    await expectIntact(store, others.flat());
    // each victim's cell was written at least 5 times before it was killed: one whole value
    await expectIntact(store, ['json-victim-0', 'json-victim-1', 'json-victim-2']);
    await store.persist({ after: true }, { cellId: 'json-after' });
    expect(await (await DiskDatumStore.open(dir)).resolve('json-after')).toEqual({ after: true });
  }, 180_000);

  it('a flipped byte anywhere in any datum file gives CORRUPT_DATUM naming the cell and the file; all other cells resolve', async () => {
    const dir = freshDir();
    const ids = KINDS.map((k) => `${k}-flip`);
    await writeTogether(dir, [ids]);
    let bytes = 0;
    for (const id of ids) bytes += statSync(await storeFile(dir, id)).size;
    const flipper = startWorker({ op: 'flip', dir, ids });
    const done = await flipper.next('done');
    expect(done.wrong).toEqual([]);
    expect(done.flips).toBe(bytes + 4 * ids.length);
    expect((await flipper.exited).code).toBe(0);
    expect(await wrongCells(await DiskDatumStore.open(dir), ids)).toEqual([]);
  }, 180_000);

  it('a damaged index is set aside and rebuilt from the datum files, every cell still checked', async () => {
    const dir = freshDir();
    const ids = idsFor('idx', 8);
    await writeTogether(dir, [ids]);
    await (await DiskDatumStore.open(dir)).compact(); // the index file itself lists every cell
    const indexFile = path.join(dir, INDEX_FILE);
    const good = await fs.readFile(indexFile);
    const damages: [string, Buffer][] = [
      ['torn', good.subarray(0, good.byteLength >> 1)],
      ['zeroed', Buffer.alloc(good.byteLength)],
      ['empty', Buffer.alloc(0)],
      [
        'a byte changed, still JSON',
        Buffer.from(good.toString('utf8').replace('"Name"', '"Nome"')),
      ],
    ];
    for (const [what, bytes] of damages) {
      await fs.writeFile(indexFile, bytes);
      const store = await DiskDatumStore.open(dir);
      expect([what, store.problems.map((p) => p.code)]).toEqual([what, ['STORE_IO']]);
      expect(
        store
          .list()
          .map((c) => c.id)
          .sort(),
      ).toEqual([...ids].sort());
      await expectIntact(store, ids);
    }
    const backups = readdirSync(dir).filter((f) => f.startsWith(`${INDEX_FILE}.corrupt-`));
    expect(backups.length).toBeGreaterThanOrEqual(1);
  }, 180_000);

  it('a lock held by a live process makes others wait (or STORE_LOCKED); once it is killed, its lock is taken over', async () => {
    const dir = freshDir();
    await DiskDatumStore.open(dir);
    const holder = startWorker({ op: 'hold-lock', dir });
    await holder.next('locked');
    const error = await errorOf(DiskDatumStore.open(dir, { lockTimeoutMs: 300 }));
    expect(error.code).toBe('STORE_LOCKED');
    expect(error.message).toContain(`process ${holder.pid}`);
    expect(error.message).toContain(path.join(dir, LOCK_FILE));
    // a writer that starts now waits for the lock (its lock candidate, a temp file, is there) …
    const ids = idsFor('waiting', 4);
    const writer = startWorker({ op: 'write', dir, ids });
    const waiting = `.tmp-${SELF.host}.${writer.pid}.`;
    while (!readdirSync(dir).some((f) => f.startsWith(waiting) && f.endsWith('-lock'))) {
      if (writer.events.length > 0)
        throw new Error(`the writer went on: ${JSON.stringify(writer.events)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(writer.events).toEqual([]);
    // … and goes on once the holder is killed, its lock left behind
    process.kill(holder.pid, 'SIGKILL');
    expect((await holder.exited).signal).toBe('SIGKILL');
    await writer.next('done');
    expect((await writer.exited).code).toBe(0);
    const store = await DiskDatumStore.open(dir);
    await expectIntact(store, ids);
    expect(leftovers(dir)).toEqual([]);
  }, 180_000);

  it('folders the OS cannot create fail at once with STORE_IO naming the path, in the store, the kernel and the CLI', async () => {
    const file = path.join(root, 'a-regular-file');
    await fs.writeFile(file, 'x');
    const cases: [string, string][] = [];
    for (const via of ['store', 'kernel', 'cli']) {
      cases.push([via, '/proc/self/nope/store'], [via, path.join(file, 'store')]);
    }
    await Promise.all(
      cases.map(async ([via, dir]) => {
        const worker = startWorker({ op: 'open', dir, via });
        const end = await worker.exited;
        const error = worker.events.find((e) => e.event === 'error');
        expect([via, dir, end.code, error?.code]).toEqual([via, dir, 1, 'STORE_IO']);
        expect(error?.message).toContain(dir);
      }),
    );
  }, 180_000);

  it('a folder the process may not write gives STORE_IO naming it', async () => {
    const parent = path.join(root, `read-only-${++counter}`);
    await fs.mkdir(parent);
    const existing = path.join(parent, 'existing-store');
    await (await DiskDatumStore.open(existing)).persist({ a: 1 }, { cellId: 'json-a' });
    chmodSync(existing, 0o555);
    chmodSync(parent, 0o555);
    try {
      // root may write anywhere: the worker runs as `nobody` then
      const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
      for (const dir of [path.join(parent, 'new-store'), existing]) {
        const worker = startWorker({ op: 'open', dir, via: 'store' }, as);
        const end = await worker.exited;
        const error = worker.events.find((e) => e.event === 'error');
        expect([dir, end.code, error?.code]).toEqual([dir, 1, 'STORE_IO']);
        expect(error?.message).toContain(dir);
      }
    } finally {
      chmodSync(parent, 0o755);
      chmodSync(existing, 0o755);
    }
  }, 180_000);
});
