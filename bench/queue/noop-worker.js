'use strict';
// The raw BullMQ floors of bench/queue.js: a worker process whose jobs do nothing, on the same Redis
// and with the same worker settings as `fancyflow worker`. A job whose data has `left > 0` adds the
// next job of its chain (`left - 1`) before it finishes, as a fancyflow worker hands on a chain of
// steps, so finishing it fetches that job in the same round trip.
// Usage: node noop-worker.js <redis url>
const { Queue, Worker } = require('bullmq');

const url = new URL(process.argv[2]);
const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
const prefix = 'fancyflow-floor';
const queue = new Queue('floor', { connection, prefix });
const worker = new Worker(
  'floor',
  async (job) => {
    const { run, left } = job.data;
    if (left > 0) {
      await queue.add(
        'noop',
        { run, left: left - 1 },
        { jobId: `${run}.${left - 1}`, removeOnComplete: { age: 3600, count: 10_000 } },
      );
    }
    return { ok: true };
  },
  { connection, prefix, lockDuration: 30_000 },
);
Promise.all([worker.waitUntilReady(), queue.waitUntilReady()]).then(() =>
  console.log(`ready (pid ${process.pid})`),
);
