// examples/names.ts at a small size (1024 training names, 2 epochs, hidden 32): an Embedding → bidirectional GRU
// with lengths → Linear classifier that must beat the majority class on the 1601 held-out names, all of them.
// Node only: the names come from the @stdlib packages' files. Measured on SwiftShader (seed 1): 78.6% against 56.6%, 20-30 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as wr from '../src/index.js';
import { testContext } from './helpers.js';
import { loadNames } from '../examples/datasets.js';
import { run, splitNames } from '../examples/names.js';

let ctx: wr.Context;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

describe('examples/names', () => {
  it('beats the majority class on the held-out names', async () => {
    const losses: number[] = [];
    const r = await run(ctx, { maxTrain: 1024, epochs: 2, hiddenSize: 32, seed: 1, onEpoch: (e) => losses.push(e.trainLoss) });
    console.log(`names: held-out accuracy ${(100 * r.heldOutAccuracy).toFixed(1)}%, majority (${r.majorityClass}) ${(100 * r.majorityAccuracy).toFixed(1)}%, losses ${losses.map((l) => l.toFixed(3)).join(' ')}`);
    // The baseline from the split itself: the training set's larger class, scored on the held-out names.
    const split = splitNames(loadNames(), 0.2, 1);
    const trainFemale = split.train.slice(0, 1024).filter((e) => e.label === 0).length;
    const majority = trainFemale * 2 >= 1024 ? 0 : 1;
    expect(r.majorityAccuracy).toBeCloseTo(split.heldOut.filter((e) => e.label === majority).length / split.heldOut.length, 12);
    expect(r.heldOutSize).toBe(split.heldOut.length);
    expect(r.trainSize).toBe(1024);
    expect(r.dropped).toBe(419);
    expect(losses.length).toBe(2);
    expect(losses[1]).toBeLessThan(losses[0]);
    expect(r.heldOutAccuracy).toBeGreaterThan(r.majorityAccuracy + 0.1);
    expect(ctx.liveTensors).toBe(0);
  });

  it('bad options are refused before anything is read or allocated', async () => {
    const live = ctx.liveTensors;
    await expect(run(ctx, { epochs: 0 })).rejects.toThrow(/names: epochs must be a positive integer, got 0/);
    await expect(run(ctx, { dropout: 1 })).rejects.toThrow(/names: dropout must be in \[0, 1\), got 1/);
    await expect(run(ctx, { maxTrain: 2.5 })).rejects.toThrow(/names: maxTrain must be a positive integer, got 2.5/);
    expect(ctx.liveTensors).toBe(live);
  });
});
