#!/usr/bin/env node
/**
 * The fancyflow kernel beside stock tslab, in the same run, over the real wire protocol:
 * - a trivial cell's round trip (execute_request → execute_reply and idle), median of 200;
 * - a comm request answered while a cell awaits (fancyflow only: stock tslab has no comms), and a
 *   kernel_info answered while a cell awaits (both);
 * - kernel start: to the first kernel_info reply, and to the first cell's reply;
 * - resident memory after start and a first cell (and after the round trips).
 * Prints figures and ratios; never fails on time. Needs `npm run build`.
 */
'use strict';
const { spawn } = require('node:child_process');
const { randomBytes, randomUUID } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const zmq = require('zeromq');
const { createSigner, decodeMessage, encodeMessage } = require('../dist/kernel/wire');

const root = path.resolve(__dirname, '..');
const ROUND_TRIPS = Number(process.env.BENCH_ROUND_TRIPS || 200);
const COMM_REQUESTS = 50;
/** The fancyflow executable (another build's, to compare two versions against tslab). */
const FANCYFLOW_BIN = process.env.BENCH_FANCYFLOW_BIN || path.join(root, 'bin', 'fancyflow.js');
const START_ROUNDS = Number(process.env.BENCH_START_ROUNDS || 7);

async function freePorts(n) {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise((resolve) => {
          const s = net.createServer();
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function rssMiB(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
    return kb / 1024;
  } catch {
    return NaN;
  }
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
}

class Client {
  constructor(conn) {
    this.signer = createSigner(conn.key);
    this.session = randomUUID();
    this.shell = new zmq.Dealer({ routingId: randomUUID() });
    this.iopub = new zmq.Subscriber();
    for (const s of [this.shell, this.iopub]) s.linger = 0;
    this.shell.connect(`tcp://127.0.0.1:${conn.shell_port}`);
    this.iopub.connect(`tcp://127.0.0.1:${conn.iopub_port}`);
    this.iopub.subscribe();
    this.waiters = [];
    this.recent = [];
    this.loop(this.shell, 'shell');
    this.loop(this.iopub, 'iopub');
  }
  async loop(socket, channel) {
    try {
      for await (const frames of socket) {
        const d = decodeMessage(frames, this.signer);
        if (!d.ok) continue;
        const m = d.message;
        m.channel = channel;
        this.recent.push(
          `${channel} ${m.header.msg_type} ${m.parent_header.msg_id} ${m.content.execution_state ?? ''}`,
        );
        if (this.recent.length > 20) this.recent.shift();
        this.waiters = this.waiters.filter((w) => (w.match(m) ? (w.resolve(m), false) : true));
      }
    } catch {
      // closed
    }
  }
  wait(match, ms = 30000, what = 'a message') {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        if (process.env.BENCH_DEBUG) console.error(this.recent.join('\n'));
        reject(new Error(`${this.kind}: timed out waiting for ${what}`));
      }, ms);
      this.waiters.push({ match, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  }
  message(type, content, metadata = {}) {
    return {
      identities: [],
      header: {
        msg_id: randomUUID(),
        msg_type: type,
        session: this.session,
        username: 'bench',
        date: new Date().toISOString(),
        version: '5.3',
      },
      parent_header: {},
      metadata,
      content,
      buffers: [],
    };
  }
  /** Sends and resolves when the reply (and, with `idle`, the idle status) arrived. */
  async request(type, content, { idle = false, match, ms = 30000 } = {}) {
    const msg = this.message(type, content);
    const id = msg.header.msg_id;
    const reply = this.wait(
      match ? (m) => match(m, id) : (m) => m.channel === 'shell' && m.parent_header.msg_id === id,
      ms,
      `the reply to ${type}`,
    );
    const done = idle
      ? this.wait(
          (m) =>
            m.channel === 'iopub' &&
            m.parent_header.msg_id === id &&
            m.header.msg_type === 'status' &&
            m.content.execution_state === 'idle',
          ms,
          `idle after ${type}`,
        )
      : Promise.resolve();
    reply.catch(() => {});
    done.catch(() => {});
    if (process.env.BENCH_DEBUG) this.recent.push(`sent ${type} ${id}`);
    await this.shell.send(encodeMessage(msg, this.signer));
    const [r] = await Promise.all([reply, done]);
    return r;
  }
  close() {
    this.shell.close();
    this.iopub.close();
  }
}

async function startKernel(kind) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-kernel-${kind}-`));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const [shell, iopub, stdin, control, hb] = await freePorts(5);
  const conn = {
    ip: '127.0.0.1',
    transport: 'tcp',
    key: randomBytes(16).toString('hex'),
    signature_scheme: 'hmac-sha256',
    shell_port: shell,
    iopub_port: iopub,
    stdin_port: stdin,
    control_port: control,
    hb_port: hb,
    kernel_name: kind,
  };
  const file = path.join(dir, 'connection.json');
  fs.writeFileSync(file, JSON.stringify(conn));
  const argv =
    kind === 'fancyflow'
      ? [FANCYFLOW_BIN, 'kernel', '--connection-file', file]
      : [path.join(root, 'node_modules', 'tslab', 'bin', 'tslab'), 'kernel', '--config-path', file];
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, argv, {
    cwd: dir,
    stdio: ['ignore', 'ignore', process.env.BENCH_DEBUG ? 'inherit' : 'ignore'],
  });
  const client = new Client(conn);
  client.kind = kind;
  for (;;) {
    try {
      await client.request('kernel_info_request', {}, { idle: true, ms: 1000 });
      break;
    } catch {
      if (child.exitCode !== null) throw new Error(`${kind} kernel exited`);
    }
  }
  const startMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { kind, child, client, startMs, dir, started };
}

const EXECUTE = {
  code: '1',
  silent: false,
  store_history: true,
  user_expressions: {},
  allow_stdin: false,
  stop_on_error: true,
};

/**
 * Trivial cells, one after the other: the time from sending execute_request to its execute_reply.
 * The idle status is awaited too (not timed; stock tslab loses iopub messages under load: its
 * unawaited zeromq sends collide, so a missing idle is counted, not waited for forever).
 */
async function roundTrips(k, n, lost) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const msg = k.client.message('execute_request', EXECUTE);
    const id = msg.header.msg_id;
    const reply = k.client.wait(
      (m) => m.channel === 'shell' && m.parent_header.msg_id === id,
      30000,
      'execute_reply',
    );
    const idle = k.client.wait(
      (m) =>
        m.channel === 'iopub' &&
        m.parent_header.msg_id === id &&
        m.header.msg_type === 'status' &&
        m.content.execution_state === 'idle',
      2000,
      'idle',
    );
    idle.catch(() => {});
    const t0 = process.hrtime.bigint();
    await k.client.shell.send(encodeMessage(msg, k.client.signer));
    await reply;
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    try {
      await idle;
    } catch {
      lost[k.kind] = (lost[k.kind] ?? 0) + 1;
    }
  }
  return times;
}

async function whileAwaiting(k, out) {
  const cell = k.client.request('execute_request', {
    ...EXECUTE,
    code: 'await new Promise((r) => setTimeout(r, 4000)); 1',
  });
  await new Promise((r) => setTimeout(r, 500));
  const info = [];
  for (let i = 0; i < COMM_REQUESTS; i++) {
    const t0 = process.hrtime.bigint();
    await k.client.request('kernel_info_request', {});
    info.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  out.kernelInfoWhileAwaiting = median(info);
  if (k.kind === 'fancyflow') {
    const commId = randomUUID();
    await k.client.shell.send(
      encodeMessage(
        k.client.message('comm_open', { comm_id: commId, target_name: 'fancyflow', data: {} }),
        k.client.signer,
      ),
    );
    const comm = [];
    for (let i = 0; i < COMM_REQUESTS; i++) {
      const requestId = `b${i}`;
      const t0 = process.hrtime.bigint();
      await k.client.request(
        'comm_msg',
        { comm_id: commId, data: { v: 1, id: requestId, type: i % 2 ? 'hello' : 'get-workflow' } },
        {
          match: (m) =>
            m.channel === 'iopub' &&
            m.header.msg_type === 'comm_msg' &&
            m.content.data &&
            m.content.data.id === requestId,
        },
      );
      comm.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    out.commWhileAwaiting = median(comm);
    out.commWhileAwaitingP95 = percentile(comm, 0.95);
  }
  await cell;
}

function stop(k) {
  if (!k) return;
  k.client.close();
  if (k.child.exitCode === null) k.child.kill('SIGKILL');
  fs.rmSync(k.dir, { recursive: true, force: true });
}

/**
 * Kernel start, measured the same way for both: spawn the process, then kernel_info requests until
 * one is answered. Interleaved rounds (the order alternating), one kernel at a time; the median.
 */
async function measureStarts(rounds) {
  const starts = { tslab: [], fancyflow: [] };
  const firstResults = { tslab: [], fancyflow: [] };
  for (let r = 0; r < rounds; r++) {
    for (const kind of r % 2 ? ['fancyflow', 'tslab'] : ['tslab', 'fancyflow']) {
      const k = await startKernel(kind);
      starts[kind].push(k.startMs);
      // what a user waits for: the first cell's result (a kernel may do work before it answers
      // kernel_info that its first cell would otherwise do)
      await roundTrips(k, 1, {});
      firstResults[kind].push(Number(process.hrtime.bigint() - k.started) / 1e6);
      const exited = new Promise((resolve) => k.child.once('exit', resolve));
      stop(k);
      await exited;
    }
  }
  return { starts, firstResults };
}

/** Both kernels run at once and take turns, so load on the machine hits both alike. */
async function measureBoth() {
  let tslab;
  let ours;
  try {
    tslab = await startKernel('tslab');
    ours = await startKernel('fancyflow');
    const results = { tslab: { startMs: tslab.startMs }, fancyflow: { startMs: ours.startMs } };
    // the first cell, untimed: fancyflow answers kernel_info before it loads its engine, so the
    // memory after start is measured once both kernels have run a cell
    for (const k of [tslab, ours]) {
      await k.client.request('execute_request', EXECUTE, { idle: true, ms: 120000 });
    }
    await new Promise((r) => setTimeout(r, 1000));
    for (const k of [tslab, ours]) results[k.kind].rssStart = rssMiB(k.child.pid);
    const lost = {};
    for (const k of [tslab, ours]) await roundTrips(k, 10, lost);
    const times = { tslab: [], fancyflow: [] };
    for (let batch = 0; batch < 10; batch++) {
      for (const k of batch % 2 ? [ours, tslab] : [tslab, ours])
        times[k.kind].push(...(await roundTrips(k, ROUND_TRIPS / 10, lost)));
    }
    results.lostIdle = lost;
    for (const k of [tslab, ours]) {
      const r = results[k.kind];
      r.roundTrip = median(times[k.kind]);
      r.roundTripP95 = percentile(times[k.kind], 0.95);
      r.rssAfter = rssMiB(k.child.pid);
    }
    for (const k of [tslab, ours]) await whileAwaiting(k, results[k.kind]);
    return results;
  } finally {
    stop(tslab);
    stop(ours);
  }
}

function fmt(v, unit) {
  return v === undefined ? 'n/a' : `${v.toFixed(2)} ${unit}`;
}

(async () => {
  const { starts, firstResults } = await measureStarts(START_ROUNDS);
  const results = await measureBoth();
  const { tslab, fancyflow: ours } = results;
  tslab.startMs = median(starts.tslab);
  ours.startMs = median(starts.fancyflow);
  tslab.firstResultMs = median(firstResults.tslab);
  ours.firstResultMs = median(firstResults.fancyflow);
  const rows = [
    [`kernel start (to first kernel_info), median of ${START_ROUNDS}`, 'startMs', 'ms'],
    [`start to the first cell's reply, median of ${START_ROUNDS}`, 'firstResultMs', 'ms'],
    ['trivial cell round trip, median', 'roundTrip', 'ms'],
    ['trivial cell round trip, p95', 'roundTripP95', 'ms'],
    ['kernel_info while a cell awaits, median', 'kernelInfoWhileAwaiting', 'ms'],
    ['comm request while a cell awaits, median', 'commWhileAwaiting', 'ms'],
    ['comm request while a cell awaits, p95', 'commWhileAwaitingP95', 'ms'],
    ['RSS after start and a first cell', 'rssStart', 'MiB'],
    [`RSS after ${ROUND_TRIPS + 11} executes`, 'rssAfter', 'MiB'],
  ];
  console.log(
    `${'measure'.padEnd(44)}${'fancyflow'.padStart(14)}${'tslab 1.0.22'.padStart(14)}${'ratio'.padStart(9)}`,
  );
  for (const [label, key, unit] of rows) {
    const a = ours[key];
    const b = tslab[key];
    const ratio = a !== undefined && b !== undefined ? `${(a / b).toFixed(2)}x` : '';
    console.log(
      `${label.padEnd(44)}${fmt(a, unit).padStart(14)}${fmt(b, unit).padStart(14)}${ratio.padStart(9)}`,
    );
  }
  console.log(
    'targets: start and first cell reply <= 1.1x tslab, round trip <= 1.2x tslab, comm while awaiting <= 5 ms, RSS after start <= 1.2x tslab',
  );
  console.log('(stock tslab has no comms: its comm_msg gets no reply)');
  const lost = results.lostIdle ?? {};
  console.log(
    `idle status messages lost in the round trips: fancyflow ${lost.fancyflow ?? 0}, tslab ${lost.tslab ?? 0}`,
  );
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
