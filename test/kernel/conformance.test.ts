/**
 * The standard Jupyter kernel conformance suite (`jupyter_kernel_test`, Debian's
 * python3-jupyter-kernel-test) against the real kernel: every applicable test must pass.
 */
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import {
  installKernelSpec,
  removeTempDirs,
  pythonHas,
  runPython,
  scratchNotebookDir,
  type PythonProcess,
} from './python-runner';

let run: PythonProcess | undefined;

afterAll(() => {
  run?.stop();
  removeTempDirs();
});

it('passes jupyter_kernel_test', async () => {
  expect(
    pythonHas('jupyter_kernel_test'),
    'run `node scripts/ensure-system.js` (python3-jupyter-kernel-test)',
  ).toBe(true);
  const jupyterPath = installKernelSpec();
  run = runPython(['-m', 'unittest', '-v', 'kernel-test'], {
    cwd: scratchNotebookDir(),
    jupyterPath,
    ms: 240_000,
    env: { PYTHONPATH: path.join(__dirname) },
  });
  const { code, stderr } = await run.done;
  // unittest writes its report to stderr: one line per test, then OK or FAILED
  const failures = stderr.split('\n').filter((l) => / \.\.\. (FAIL|ERROR)$/.test(l));
  expect(failures, stderr).toEqual([]);
  expect(stderr, stderr).toMatch(/\nOK( \(skipped=\d+\))?\n/);
  expect(stderr).toMatch(/Ran 1[0-9] tests/);
  expect(code).toBe(0);
}, 300_000);
