/**
 * A real S3-compatible server for tests (npm `s3rver`), as a child process: on 127.0.0.1, a port
 * the OS picks, files in the folder given, the buckets given created. Prints `{"port": N}` once
 * listening. Stopped by its pid.
 *
 * usage: node s3rver-main.js <dir> <bucket>...
 */
'use strict';
const S3rver = require('s3rver');

const [directory, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory,
  silent: true,
  configureBuckets: buckets.map((name) => ({ name, configs: [] })),
});
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\n'),
  (e) => {
    process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
    process.exit(1);
  },
);
