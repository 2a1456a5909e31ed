'use strict';
// The raw BullMQ floor of bench/queue.js: a worker process whose jobs do nothing, on the same Redis
// and with the same worker settings as `fancyflow worker`. Usage: node noop-worker.js <redis url>
const { Worker } = require('bullmq');

const url = new URL(process.argv[2]);
const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
const worker = new Worker('floor', async () => ({ ok: true }), {
  connection,
  prefix: 'fancyflow-floor',
  lockDuration: 30_000,
});
worker.waitUntilReady().then(() => console.log(`ready (pid ${process.pid})`));
