/**
 * Real services for integration tests, as child processes of the test: Debian's `redis-server`
 * (no persistence) and `s3rver`, each on 127.0.0.1 with a port the OS picks, stopped by pid.
 * Nothing is hard-coded; `stop()` (in `afterAll`) kills each by pid and removes its files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** A started service. */
export interface Service {
  pid: number;
  /** Kills it (SIGKILL by pid) and removes its files. Safe to call twice. */
  stop(): Promise<void>;
}

/** A Redis server for one test file. */
export interface RedisService extends Service {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
}

/** An S3-compatible server for one test file. */
export interface S3Service extends Service {
  port: number;
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** The environment a client (or a child process) needs: endpoint, region, credentials. */
  env: Record<string, string>;
}

const START_LIMIT_MS = 20_000;

/** A port free at this moment on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function killer(child: ChildProcess, dir?: string): () => Promise<void> {
  let stopped: Promise<void> | undefined;
  return () => {
    stopped ??= new Promise<void>((resolve) => {
      const done = () => {
        if (dir) rmSync(dir, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', done);
      try {
        process.kill(child.pid!, 'SIGKILL');
      } catch {
        done();
      }
    });
    return stopped;
  };
}

/** Waits until `ready(stdout so far)` returns a value, or the child exits, or the limit passes. */
function waitFor<T>(
  child: ChildProcess,
  what: string,
  ready: (out: string) => T | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => fail(`${what} did not start within ${START_LIMIT_MS} ms`),
      START_LIMIT_MS,
    );
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${why}\n${out}\n${err}`));
    };
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const value = ready(out);
      if (value !== undefined) {
        clearTimeout(timer);
        resolve(value);
      }
    });
    child.once('exit', (code, signal) =>
      fail(`${what} exited (${code ?? signal}) before it was ready`),
    );
  });
}

/** Starts `redis-server` on 127.0.0.1 with no persistence (RDB and AOF off). */
export async function startRedis(): Promise<RedisService> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'ff-redis-'));
    const child = spawn(
      'redis-server',
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      await waitFor(child, 'redis-server', (out) =>
        /Ready to accept connections/.test(out) ? true : undefined,
      );
      return { pid: child.pid!, port, url: `redis://127.0.0.1:${port}`, stop: killer(child, dir) };
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      if (attempt >= 3) throw e; // the port was taken between the check and the start: try another
    }
  }
}

/** Starts s3rver on 127.0.0.1 with `buckets` created. */
export async function startS3(buckets: readonly string[]): Promise<S3Service> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ff-s3rver-'));
  const child = spawn(process.execPath, [path.join(__dirname, 's3rver-main.js'), dir, ...buckets], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await waitFor(child, 's3rver', (out) => {
    const line = /\{"port":\d+\}/.exec(out);
    return line ? (JSON.parse(line[0]) as { port: number }).port : undefined;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    pid: child.pid!,
    port,
    endpoint,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    },
    stop: killer(child, dir),
  };
}
