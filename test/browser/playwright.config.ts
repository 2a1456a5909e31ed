/**
 * Browser tests: galata + Playwright driving Debian's Chromium against the real JupyterLab host
 * (scripts/lab/) served by Debian's jupyter-server, with fancyflow's prebuilt extension and kernel
 * installed by `fancyflow install`. The global setup builds what is stale and starts one server on
 * 127.0.0.1 for the run. Nothing here downloads a browser: never run `playwright install`.
 */
import * as path from 'node:path';
import { defineConfig } from '@playwright/test';

const root = path.resolve(__dirname, '..', '..');

export default defineConfig({
  testDir: __dirname,
  testMatch: '**/*.spec.ts',
  // README screenshots are taken by `npm run screenshots` only: tests leave the checkout alone
  testIgnore: process.env.FANCYFLOW_SCREENSHOTS === '1' ? [] : ['**/screenshots.spec.ts'],
  outputDir: path.join(root, 'test-results', 'browser'),
  globalSetup: path.join(__dirname, 'global-setup.ts'),
  // One server, one kernel at a time: 2 cores.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [['list'], ['json']] : [['list']],
  use: {
    // Set by the global setup (workers inherit its environment).
    baseURL: process.env.FANCYFLOW_LAB_ORIGIN,
    headless: true,
    viewport: { width: 1280, height: 800 },
    // video and trace need downloads (ffmpeg); screenshots do not.
    video: 'off',
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-dev-shm-usage',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
