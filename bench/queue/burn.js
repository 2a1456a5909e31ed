'use strict';
// The raw parallel floor of bench/queue.js: the row arithmetic of bench_burn over rows
// [start, end) in a plain process, no fancyflow. Usage: node burn.js <start> <end> <rounds>
const [start, end, rounds] = process.argv.slice(2).map(Number);
const y = new Float64Array(end - start);
for (let x = start; x < end; x++) {
  let v = x;
  for (let i = 0; i < rounds; i++) v = (v * 1.0000001 + Math.sqrt(i + 1)) % 1e6;
  y[x - start] = v;
}
process.stdout.write(`${y[0]}\n`);
