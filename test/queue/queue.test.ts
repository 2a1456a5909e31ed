/**
 * Distributed execution with real parts: Debian's redis-server and s3rver started here on
 * 127.0.0.1 (ports the OS picks), `fancyflow worker` processes and `fancyflow run --queue` as child
 * processes of this test, every one stopped by pid. A queued run must give what a local run gives:
 * the same statuses, errors, exit codes and output fingerprints.
 *
 * Stall settings are short here (lock 3 s, checks every 1 s) so that a killed worker's job moves
 * on within seconds; nothing measures time. (A 1 s lock made a busy 2-core machine take a live
 * worker's job for stalled now and then: its lock was not renewed in time and the job ran twice.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as aq from 'arquero';
import { DiskDatumStore } from '../../src/stores/disk-datum-store';
import { arqueroTableAdapter } from '../../src/tables/arquero-adapter';
import { startRedis, startS3, type RedisService, type S3Service } from '../support/services';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'fancyflow.js');
const FIXTURES = path.join(__dirname, 'fixtures');
const EXAMPLE = path.join(ROOT, 'examples', 'cars.workflow.json');
const BUCKET = 'ff-queue';
const LIMIT_MS = 60_000;

let redis: RedisService;
let s3: S3Service;
const scratch = mkdtempSync(path.join(tmpdir(), 'ff-queue-'));
let counter = 0;
const freshDir = () => path.join(scratch, `store-${++counter}`);

interface Proc {
  child: ChildProcess;
  pid: number;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>;
}

const children = new Set<ChildProcess>();

function start(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: FIXTURES,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...s3.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
  }>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout });
    }),
  );
  return { child, pid: child.pid!, stderr: () => stderr, exited };
}

async function until(what: string, check: () => boolean, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function startWorker(): Promise<Proc> {
  const worker = start([
    'worker',
    '--queue',
    redis.url,
    '--lock-ms',
    '3000',
    '--stall-check-ms',
    '1000',
  ]);
  await until('a worker to be ready', () => /ready \(pid/.test(worker.stderr()));
  return worker;
}

interface StepOut {
  stepId: string;
  name: string;
  status: string;
  cache?: string;
  fingerprint?: string;
  error?: { code: string; message: string };
}

interface Run {
  code: number | null;
  stderr: string;
  stdout: string;
  steps: StepOut[];
}

async function run(doc: string, args: string[], onStderr?: (p: Proc) => void): Promise<Run> {
  const proc = start(['run', doc, '--json', ...args]);
  let watching: NodeJS.Timeout | undefined;
  if (onStderr) watching = setInterval(() => onStderr(proc), 25);
  const { code, stdout } = await proc.exited;
  if (watching) clearInterval(watching);
  let steps: StepOut[] = [];
  try {
    steps = (JSON.parse(stdout) as { steps: StepOut[] }).steps;
  } catch {
    // not JSON: the assertions on `code` and `stderr` say why
  }
  return { code, stderr: proc.stderr(), stdout, steps };
}

/** What must be equal between a local and a queued run. */
function outcome(steps: StepOut[]) {
  return steps.map((s) => ({
    name: s.name,
    status: s.status,
    fingerprint: s.fingerprint,
    code: s.error?.code,
    message: s.error?.message,
  }));
}

/**
 * Runs `doc` locally and on the queue (its row_wise step split into parts of 40 rows, stored in
 * `dir`) at once; both succeed with the same outcome. Returns the queued run.
 */
async function splitLikeLocal(doc: string, dir: string): Promise<Run> {
  const [local, queued] = await Promise.all([
    run(doc, ['--store', freshDir()]),
    run(doc, ['--store', dir, '--queue', redis.url, '--part-rows', '40']),
  ]);
  expect([local.code, queued.code]).toEqual([0, 0]);
  expect(outcome(queued.steps)).toEqual(outcome(local.steps));
  return queued;
}

let workers: Proc[] = [];

beforeAll(async () => {
  [redis, s3] = await Promise.all([startRedis(), startS3([BUCKET])]);
  workers = await Promise.all([startWorker(), startWorker()]);
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all([redis?.stop(), s3?.stop()]);
  rmSync(scratch, { recursive: true, force: true });
});

describe('fancyflow run --queue', () => {
  it('runs examples/cars.workflow.json on two workers with a disk store: the same report and fingerprints as a local run', async () => {
    const [local, queued] = await Promise.all([
      run(EXAMPLE, ['--store', freshDir()]),
      run(EXAMPLE, ['--store', freshDir(), '--queue', redis.url]),
    ]);
    expect(local.code).toBe(0);
    expect([queued.code, queued.stderr]).toEqual([0, expect.any(String)]);
    expect(queued.steps.map((s) => s.name)).toEqual(local.steps.map((s) => s.name));
    expect(outcome(queued.steps)).toEqual(outcome(local.steps));
    expect(queued.steps.every((s) => /^[0-9a-f]{32}$/.test(s.fingerprint ?? ''))).toBe(true);
    // the example is one chain: one job, whose worker runs every step in turn (that both workers
    // take jobs is checked with the split step's parts below)
    const done = workers.map((w) => w.stderr().match(/ step [^:]+: completed in/g)?.length ?? 0);
    expect(done.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(queued.steps.length);
    const runId = (JSON.parse(queued.stdout) as { runId: string }).runId;
    const queue = new Queue('steps', {
      connection: { host: '127.0.0.1', port: redis.port },
      prefix: 'fancyflow',
    });
    try {
      const jobs = (await queue.getJobs(['completed'])).filter((j) => j.data?.runId === runId);
      expect(jobs.map((j) => j.data.stepId)).toEqual(['cars']);
      // its return value is the last step's report; each step before it came as its progress
      expect((jobs[0]!.returnvalue as { report: { stepId: string } }).report.stepId).toBe(
        'consumption_chart',
      );
    } finally {
      await queue.close();
    }
  });

  it('and with an S3 store', async () => {
    const [local, queued] = await Promise.all([
      run(EXAMPLE, ['--store', `s3://${BUCKET}/local`]),
      run(EXAMPLE, ['--store', `s3://${BUCKET}/queued`, '--queue', redis.url]),
    ]);
    expect([local.code, queued.code]).toEqual([0, 0]);
    expect(outcome(queued.steps)).toEqual(outcome(local.steps));
  });

  it('splits a row_wise step into parts across the workers and assembles them in order', async () => {
    const doc = path.join(FIXTURES, 'split.workflow.json');
    const dir = freshDir();
    const queued = await splitLikeLocal(doc, dir);
    const jobs = workers.map((w) => w.stderr().match(/part litres: completed/g)?.length ?? 0);
    expect(jobs.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10); // 392 rows / 40
    // the parts are added at once: both workers took some
    for (const n of jobs) expect(n).toBeGreaterThan(0);
    // the parts are gone once assembled
    const store = await DiskDatumStore.open(dir);
    expect(
      store
        .list()
        .map((c) => c.id)
        .sort(),
    ).toEqual(['cars', 'clean', 'heavy', 'litres', 'rows']);

    // run again: a split step runs again (its parts are not cached); what its output feeds stays
    // cached, since the output is the same (early cutoff)
    const again = await run(doc, ['--store', dir, '--queue', redis.url, '--part-rows', '40']);
    expect(again.code).toBe(0);
    expect(again.steps.map((s) => [s.stepId, s.status])).toEqual([
      ['cars', 'cached'],
      ['clean', 'cached'],
      ['litres', 'completed'],
      ['heavy', 'cached'],
      ['rows', 'cached'],
    ]);
    expect(again.steps.map((s) => s.fingerprint)).toEqual(queued.steps.map((s) => s.fingerprint));
  });

  it('a split row_wise step with columns of nulls only and of bigints: the fingerprints of a local run', async () => {
    const doc = path.join(FIXTURES, 'split-types.workflow.json');
    const dir = freshDir();
    const queued = await splitLikeLocal(doc, dir);
    expect(queued.steps.map((s) => s.status)).toEqual(['completed', 'completed', 'completed']);
    const parts = workers.map((w) => w.stderr().match(/part tagged: completed/g)?.length ?? 0);
    expect(parts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10); // 406 rows / 40
    const tagged = (await (await DiskDatumStore.open(dir)).resolve('tagged')) as aq.ColumnTable;
    const types = Object.fromEntries(
      arqueroTableAdapter.columns(tagged).map((c) => [c.name, c.type]),
    );
    expect(types).toMatchObject({ none: 'null', big: 'int64', bigNull: 'int64', late: 'float64' });
    expect(tagged.get('big', 5)).toBe(5n * 2n ** 40n);
    // what a worker reading it as its input computes: the fingerprint both runs reported (equal,
    // checked by splitLikeLocal)
    expect(arqueroTableAdapter.fingerprint(tagged)).toBe(queued.steps[1]!.fingerprint);
  });

  it('a queued run over the same store again is served from the cache as a local one is; --no-cache recomputes', async () => {
    const dir = freshDir();
    const first = await run(EXAMPLE, ['--store', dir, '--queue', redis.url]);
    expect([first.code, first.stderr]).toEqual([0, expect.any(String)]);
    expect(first.steps.every((s) => s.status === 'completed' && s.cache === 'miss')).toBe(true);
    // each step's record names the queued run (not the worker's own internal run)
    const runId = (JSON.parse(first.stdout) as { runId: string }).runId;
    expect(runId).toMatch(/^run-/);
    const store = await DiskDatumStore.open(dir);
    expect(first.steps.map((s) => store.cell(s.stepId)?.record?.runId)).toEqual(
      first.steps.map(() => runId),
    );
    const again = await run(EXAMPLE, ['--store', dir, '--queue', redis.url]);
    expect([again.code, again.stderr]).toEqual([0, expect.any(String)]);
    expect(again.steps.map((s) => [s.stepId, s.status, s.cache, s.fingerprint])).toEqual(
      first.steps.map((s) => [s.stepId, 'cached', 'hit', s.fingerprint]),
    );
    // the workers' records are the ones a local run reads, and the other way round
    const local = await run(EXAMPLE, ['--store', dir]);
    expect(local.steps.map((s) => s.status)).toEqual(first.steps.map(() => 'cached'));
    const forced = await run(EXAMPLE, ['--store', dir, '--queue', redis.url, '--no-cache']);
    expect(forced.code).toBe(0);
    expect(forced.steps.map((s) => [s.status, s.cache, s.fingerprint])).toEqual(
      first.steps.map((s) => ['completed', 'off', s.fingerprint]),
    );
  });

  it('a worker killed mid-step: another takes the job over and the run completes the same', async () => {
    const doc = path.join(FIXTURES, 'kill.workflow.json');
    const local = await run(doc, ['--store', freshDir()]);
    let victim: Proc | undefined;
    const queued = await run(doc, ['--store', freshDir(), '--queue', redis.url], () => {
      if (victim) return;
      victim = workers.find((w) => /step slow: started/.test(w.stderr()));
      victim?.child.kill('SIGKILL');
    });
    expect(victim).toBeDefined();
    expect([queued.code, queued.stderr]).toEqual([0, expect.any(String)]);
    expect(outcome(queued.steps)).toEqual(outcome(local.steps));
    const survivor = workers.find((w) => w !== victim)!;
    expect(survivor.stderr()).toMatch(/step slow: completed/);
    workers = [survivor, await startWorker()];
  });

  it('a step that fails: failed, the steps wired to it skipped, the others completed, exit 1', async () => {
    const doc = path.join(FIXTURES, 'failing.workflow.json');
    const [local, queued] = await Promise.all([
      run(doc, ['--store', freshDir()]),
      run(doc, ['--store', freshDir(), '--queue', redis.url]),
    ]);
    expect([local.code, queued.code]).toEqual([1, 1]);
    expect(queued.steps.map((s) => [s.name, s.status, s.error?.code])).toEqual([
      ['cars', 'completed', undefined],
      ['clean', 'completed', undefined],
      ['broken', 'failed', 'STEP_FAILED'],
      ['after', 'skipped', 'DEPENDENCY_FAILED'],
      ['independent', 'completed', undefined],
    ]);
    expect(outcome(queued.steps)).toEqual(outcome(local.steps));
    expect(queued.stderr).toContain('STEP_FAILED at /steps/2: Step "broken" (qt.fail) failed');
  });

  it('Ctrl-C cancels the run and removes its waiting jobs', async () => {
    const doc = path.join(FIXTURES, 'cancel.workflow.json');
    let interrupted = false;
    const queued = await run(doc, ['--store', freshDir(), '--queue', redis.url], (p) => {
      if (!interrupted && /\[2\/6\] clean \(drop_nulls\) completed/.test(p.stderr())) {
        interrupted = true;
        setTimeout(() => p.child.kill('SIGINT'), 300);
      }
    });
    expect(queued.code).toBe(130);
    expect(queued.steps.map((s) => [s.name, s.status])).toEqual([
      ['cars', 'completed'],
      ['clean', 'completed'],
      ['first', 'cancelled'],
      ['second', 'cancelled'],
      ['third', 'cancelled'],
      ['last', 'cancelled'],
    ]);
    expect(queued.steps[5]!.error?.code).toBe('CANCELLED');
    // nothing of the run is left waiting, and the workers are free again
    const queue = new Queue('steps', {
      connection: { host: '127.0.0.1', port: redis.port },
      prefix: 'fancyflow',
    });
    try {
      expect(await queue.getWaitingCount()).toBe(0);
      await until('the running steps to be aborted', () =>
        workers.every((w) => !/started\n?$/.test(w.stderr().trimEnd())),
      );
    } finally {
      await queue.close();
    }
  });

  it('a forged job in the queue fails as not a fancyflow job; the workers go on serving runs', async () => {
    const queue = new Queue('steps', {
      connection: { host: '127.0.0.1', port: redis.port },
      prefix: 'fancyflow',
    });
    try {
      const forged: unknown[] = [
        { kind: 'step', runId: 'forged', stepId: 's', chain: ['a', { $gt: '' }] },
        { kind: 'part', runId: 'forged', stepId: 's', part: 0, start: -5, end: 1e300 },
        { kind: 'assemble', runId: 'forged', stepId: 's', parts: [{ start: 0 }] },
        { kind: 'rm -rf', runId: 'forged', stepId: 's' },
        'step',
      ];
      const jobs = await Promise.all(
        forged.map((data, i) => queue.add('step', data, { jobId: `forged.${i}` })),
      );
      const failures = new Map<string, string>();
      await until('the forged jobs to fail', () => {
        for (const job of jobs) {
          void queue.getJob(job.id!).then((j) => {
            if (j?.failedReason) failures.set(j.id!, j.failedReason);
          });
        }
        return failures.size === jobs.length;
      });
      for (const job of jobs) {
        expect(failures.get(job.id!)).toBe(`Job ${job.id} is not a fancyflow step job`);
      }
    } finally {
      await queue.close();
    }
    const queued = await run(EXAMPLE, ['--store', freshDir(), '--queue', redis.url]);
    expect(queued.code).toBe(0);
    expect(queued.steps.every((s) => s.status === 'completed')).toBe(true);
  });

  it('refuses a store the workers cannot share, and a queue that does not answer, with exit 2', async () => {
    const memory = await run(EXAMPLE, ['--queue', redis.url]);
    expect(memory.code).toBe(2);
    expect(memory.stderr).toMatch(/QUEUE_UNAVAILABLE: --queue needs a store the workers share/);
    const nowhere = await run(EXAMPLE, ['--store', freshDir(), '--queue', 'redis://127.0.0.1:1']);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toMatch(
      /QUEUE_UNAVAILABLE: Cannot reach the queue redis:\/\/127\.0\.0\.1:1/,
    );
  });
});
