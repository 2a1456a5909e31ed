#!/usr/bin/env node
'use strict';
// The `fancyflow` executable: runs the compiled CLI and exits with its code. The only place that
// calls process.exit (a cancelled step's timers must not keep the process alive).
let cli;
try {
  cli = require('../dist/cli/main');
} catch (e) {
  process.stderr.write(
    `fancyflow: cannot load the compiled CLI (${e && e.code ? e.code : e}); run "npm run build" first\n`,
  );
  process.exit(1);
}

// A reader that goes away (`fancyflow steps | head`) is not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e && e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

function exit(code) {
  // Let piped output drain before exiting.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

cli.main(process.argv.slice(2)).then(exit, (e) => {
  process.stderr.write(`fancyflow: ${e && e.message ? e.message : e}\n`);
  exit(1);
});
