// `npm run example`: the examples' command line, built as the script builds it and run as a user would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildBundle, runScript } from './node-bundle.js';

let dir: string;

const example = (args: string[]) => runScript(join(dir, 'example.mjs'), args, 120_000);

beforeAll(async () => {
  dir = await buildBundle('examples/vite.config.ts', 'EXAMPLE_OUT', 'webrnn-example-test');
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
