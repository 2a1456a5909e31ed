/**
 * Ctrl-C against a step that never yields, from the command line: `fancyflow run` with a step that
 * computes synchronously for 30 s gets SIGINT once the step runs. The first Ctrl-C cancels it
 * (exit 130, the step and the rest of the run cancelled), where it used to run to the end.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killRunning, lines, repoRoot, runCli } from './cli-process';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fancyflow-hostile-cli-'));
  writeFileSync(
    path.join(dir, 'steps.js'),
    `const { step } = require(${JSON.stringify(repoRoot)});
const { z } = require(require.resolve('zod', { paths: [${JSON.stringify(repoRoot)}] }));
step({ slug: 'hostile.one', inputs: {}, output: z.number() }, () => 1);
step({ slug: 'hostile.spin', inputs: { x: z.number() }, output: z.number() }, ({ x }) => {
  process.stderr.write('spin step started\\n');
  const t = Date.now();
  while (Date.now() - t < 30000) {} // never yields
  return x;
});
step({ slug: 'hostile.copy', inputs: { x: z.number() }, output: z.number() }, ({ x }) => x);
`,
  );
  const step = (id: string, slug: string, wiring: Record<string, string>) => ({
    id,
    name: id,
    slug,
    version: '1.0.0',
    wiring,
    config: {},
  });
  writeFileSync(
    path.join(dir, 'spin.json'),
    JSON.stringify({
      formatVersion: 1,
      modules: ['./steps.js'],
      steps: [
        step('one', 'hostile.one', {}),
        step('spin', 'hostile.spin', { x: 'one' }),
        step('after', 'hostile.copy', { x: 'one' }),
      ],
    }),
  );
});

afterAll(() => {
  killRunning();
  rmSync(dir, { recursive: true, force: true });
});

describe('fancyflow run, Ctrl-C during a synchronous step', () => {
  it('cancels the step and the rest of the run at the first Ctrl-C: exit 130', async () => {
    let sent = false;
    const result = await runCli(['run', 'spin.json'], {
      cwd: dir,
      onStderr: (text, pid) => {
        if (!sent && text.includes('spin step started')) {
          sent = true;
          process.kill(pid, 'SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(result.code, result.stderr).toBe(130);
    const statusOf = (id: string) =>
      lines(result.stdout)
        .map((l) => l.trim().split(/\s{2,}/))
        .find((cells) => cells[0] === id)?.[2];
    expect(statusOf('one')).toBe('completed');
    expect(statusOf('spin')).toBe('cancelled');
    expect(statusOf('after')).not.toBe('completed');
    expect(result.stderr).toContain('fancyflow: interrupted: cancelling the run');
    expect(result.stdout).toMatch(/run cancelled/);
  });
});
