// examples/co2.ts at a small size (4 epochs, hidden 16): an LSTM → Linear forecaster of next month's CO2,
// trained on 1958-2007 and scored one step ahead on 2007-12 .. 2020-04, which it never saw: it must beat
// persistence (next month = this month). Node only: the series comes from vega-datasets' file.
// Measured on SwiftShader (seed 1): RMSE 0.561 ppm against persistence 1.367 ppm, ~27 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as wr from '../src/index.js';
import { testContext } from './helpers.js';
import { loadCo2 } from '../examples/datasets.js';
import { run } from '../examples/co2.js';

let ctx: wr.Context;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

describe('examples/co2', () => {
  it('beats persistence on the held-out months', async () => {
    const r = await run(ctx, { epochs: 4, hiddenSize: 16, seed: 1 });
    console.log(`co2: held-out RMSE ${r.rmse.toFixed(3)} ppm, persistence ${r.persistenceRmse.toFixed(3)} ppm, last year's change ${r.seasonalRmse.toFixed(3)} ppm`);
    // Persistence computed here from the file: the RMS of the month-to-month changes over the held-out months.
    const v = loadCo2().values;
    let sq = 0;
    for (let t = r.trainMonths; t < v.length; t++) sq += (v[t] - v[t - 1]) ** 2;
    expect(r.heldOutMonths).toBe(v.length - r.trainMonths);
    expect(r.persistenceRmse).toBeCloseTo(Math.sqrt(sq / r.heldOutMonths), 10);
    expect(r.heldOutFrom).toBe('2007-12');
    // CosineAnnealingLR over the 4 epochs: lr(e) = 1e-2 · (1 + cos(π e / 4)) / 2 at the start of epoch e + 1.
    expect(r.history.map((e) => e.lr)).toEqual([0, 1, 2, 3].map((e) => expect.closeTo(1e-2 * (1 + Math.cos((Math.PI * e) / 4)) / 2, 9)));
    expect(r.rmse).toBeLessThan(0.8 * r.persistenceRmse);
    expect(ctx.liveTensors).toBe(0);
  });

  it('bad options are refused before anything is read or allocated', async () => {
    const live = ctx.liveTensors;
    await expect(run(ctx, { window: 6 })).rejects.toThrow(/co2: window must be an integer >= 12/);
    await expect(run(ctx, { schedule: 'linear' as 'step' })).rejects.toThrow(/co2: schedule must be 'cosine' or 'step', got linear/);
    await expect(run(ctx, { lr: -1 })).rejects.toThrow(/co2: lr must be a finite positive number, got -1/);
    expect(ctx.liveTensors).toBe(live);
  });
});
