/**
 * A process of its own that uses a DiskDatumStore as a notebook kernel or a CLI run does, for the
 * hostile store suite. Run with tsx: `node --import tsx store-worker.ts '<command as JSON>'`.
 * It reports on stdout, one JSON object a line: `{ "event": "ready" | "done" | "error" | … }`.
 *
 * Commands:
 * - `{ op: "write", dir, ids, go? }`: opens the store, waits until the file `go` exists (so several
 *   writers start together), persists the value of each id (see store-values.ts), reports `done`.
 * - `{ op: "write-forever", dir, id, rows }`: persists one large table again and again, until
 *   killed.
 * - `{ op: "open", dir, via }`: opens the store as the store API, the kernel's session or the CLI's
 *   `--store` do (`via`: `store`, `kernel`, `cli`), and reports `done` or the error.
 * - `{ op: "hold-lock", dir }`: takes the store's lock, reports `locked` and keeps it until killed.
 * - `{ op: "flip", dir, ids }`: damages each cell's datum file in turn (every bit position of every
 *   byte, and four bytes at once at several offsets), resolves it each time, and reports `done`
 *   with every outcome that was not CORRUPT_DATUM naming the cell and the file, and every other
 *   cell that then failed to resolve to its value. Here, not in the test, so that a decoder that
 *   hangs on damaged bytes ends with this process's time limit.
 */
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { openStore } from '../../src/cli/open-store';
import { isFancyflowError } from '../../src/core/errors';
import { openSessionStore } from '../../src/kernel/session';
import { DiskDatumStore, LOCK_FILE } from '../../src/stores/disk-datum-store';
import { StoreLock } from '../../src/stores/store-lock';
import '../../src/tables/register';
import { valueFor, wrongCells } from './store-values';

type Command =
  | { op: 'write'; dir: string; ids: string[]; go?: string }
  | { op: 'write-forever'; dir: string; id: string; rows: number }
  | { op: 'open'; dir: string; via: 'store' | 'kernel' | 'cli' }
  | { op: 'hold-lock'; dir: string }
  | { op: 'flip'; dir: string; ids: string[] };

function report(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

async function waitForFile(file: string): Promise<void> {
  while (!existsSync(file)) await new Promise((r) => setTimeout(r, 2));
}

async function run(command: Command): Promise<void> {
  switch (command.op) {
    case 'write': {
      const store = await DiskDatumStore.open(command.dir, { durable: false });
      const values = command.ids.map((id) => valueFor(id));
      report({ event: 'ready', pid: process.pid });
      if (command.go) await waitForFile(command.go);
      for (let i = 0; i < command.ids.length; i++) {
        await store.persist(values[i], { cellId: command.ids[i]! });
      }
      report({ event: 'done', ids: command.ids });
      return;
    }
    case 'write-forever': {
      const store = await DiskDatumStore.open(command.dir, { durable: false });
      const value = valueFor(command.id, command.rows);
      report({ event: 'ready', pid: process.pid });
      for (let round = 0; ; round++) {
        await store.persist(value, { cellId: command.id });
        report({ event: 'written', round });
      }
    }
    case 'open': {
      const store =
        command.via === 'kernel'
          ? await openSessionStore(command.dir)
          : command.via === 'cli'
            ? (await openStore(command.dir, process.cwd())).store
            : await DiskDatumStore.open(command.dir);
      report({ event: 'done', cells: store.list().length });
      return;
    }
    case 'flip': {
      const store = await DiskDatumStore.open(command.dir);
      const wrong: string[] = [];
      let flips = 0;
      const expectCorrupt = async (id: string, file: string, what: string) => {
        flips++;
        try {
          await store.resolve(id);
          wrong.push(`${id}, ${what}: read back without an error`);
        } catch (e) {
          const named =
            isFancyflowError(e, 'CORRUPT_DATUM') &&
            e.details.cellId === id &&
            e.details.file === file &&
            e.message.includes(`"${id}"`) &&
            e.message.includes(file);
          if (!named) wrong.push(`${id}, ${what}: ${String(e)}`);
        }
      };
      for (const id of command.ids) {
        const file = store.fileOf(id)!;
        const original = await fs.readFile(file);
        const others = command.ids.filter((other) => other !== id);
        for (let at = 0; at < original.byteLength; at++) {
          const damaged = Buffer.from(original);
          damaged[at]! ^= 1 << (at % 8);
          await fs.writeFile(file, damaged);
          await expectCorrupt(id, file, `bit ${at % 8} of byte ${at} flipped`);
        }
        // four bytes flipped at once (as in the hostile pass), at several offsets
        for (const start of [0, 8, original.byteLength >> 2, original.byteLength >> 1]) {
          const damaged = Buffer.from(original);
          for (let i = start; i < start + 4 && i < damaged.byteLength; i++) damaged[i]! ^= 0xff;
          await fs.writeFile(file, damaged);
          await expectCorrupt(id, file, `4 bytes flipped at ${start}`);
          wrong.push(...(await wrongCells(store, others)));
        }
        await fs.writeFile(file, original);
      }
      report({ event: 'done', flips, wrong });
      return;
    }
    case 'hold-lock': {
      const lock = new StoreLock(path.join(command.dir, LOCK_FILE), 10_000);
      await lock.run(() => {
        report({ event: 'locked', pid: process.pid });
        setInterval(() => undefined, 60_000); // keeps the process (and the lock) until it is killed
        return new Promise<never>(() => undefined);
      });
    }
  }
}

run(JSON.parse(process.argv[2] ?? '{}') as Command).then(
  () => process.exit(0),
  (e: unknown) => {
    report(
      isFancyflowError(e)
        ? { event: 'error', code: e.code, message: e.message, details: e.details }
        : { event: 'error', code: 'UNEXPECTED', message: String(e) },
    );
    process.exit(1);
  },
);
