// `npm run example`: the examples' command line, built as the script builds it and run as a user would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
let dir: string;

function example(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(dir, 'example.mjs'), ...args], { cwd: root, timeout: 120_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

beforeAll(async () => {
  // Inside the checkout, so the bundle resolves 'webgpu' and the data packages from node_modules.
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  dir = mkdtempSync(join(root, 'node_modules/.cache/webrnn-example-test-'));
  process.env.EXAMPLE_OUT = dir;
  try {
    await build({ configFile: join(root, 'examples/vite.config.ts'), logLevel: 'error' });
  } finally {
    delete process.env.EXAMPLE_OUT;
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run example', () => {
  it('co2: trains and prints the held-out error beside persistence', async () => {
    const { code, out } = await example(['co2', '--epochs', '1', '--hidden', '8', '--schedule', 'step']);
    expect(code, out).toBe(0);
    expect(out).toMatch(/epoch 1: lr 0\.0100, train loss \d/);
    expect(out).toMatch(/597 training months, 149 held out from 2007-12, one step ahead/);
    expect(out).toMatch(/held-out RMSE \d+\.\d{3} ppm {2}\(persistence: 1\.367 ppm; last year's change: 0\.537 ppm\)/);
  });

  it('bad arguments exit 2 with the problem named', async () => {
    for (const [args, message] of [
      [[], /name an example, names or co2/],
      [['gender'], /name an example, names or co2, not "gender"/],
      [['names', '--window', '12'], /--window is not an option of names/],
      [['co2', '--epochs', 'ten'], /--epochs must be a number, got "ten"/],
      [['names', '--dropout', '1'], /names: dropout must be in \[0, 1\), got 1/],
      [['co2', '--schedule', 'linear'], /co2: schedule must be 'cosine' or 'step', got linear/],
    ] as const) {
      const { code, out } = await example([...args]);
      expect(code, out).toBe(2);
      expect(out).toMatch(message);
    }
  });
});
