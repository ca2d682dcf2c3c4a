import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { chromiumArgs, chromiumPath } from './scripts/chromium.js';

// One suite, two projects: `node` runs on Dawn (the 'webgpu' package), `browser` in headless Chromium.
// Without a GPU both get a SwiftShader adapter, which is correct but slow: tests keep sizes small.
// Files named *.node.test.ts read local files or spawn processes, so they run in Node only;
// *.e2e.test.ts drive the demo page with Playwright from Node. The projects run one after another: on two
// cores, SwiftShader in three processes at once starves the demo page's timed steps.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          sequence: { groupOrder: 0 },
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.e2e.test.ts'],
          setupFiles: ['test/setup.node.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Dawn devices are heavy on 2 cores: one test file at a time.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'browser',
          sequence: { groupOrder: 1 },
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.node.test.ts', 'test/**/*.e2e.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: { executablePath: chromiumPath(), args: chromiumArgs } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          sequence: { groupOrder: 2 },
          include: ['test/**/*.e2e.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
