// The number of dispatches one textbook training step encodes (CharRNN forward, cross-entropy, BPTT, gradient
// clipping, SGD), per cell, as bench/suites/recurrent.ts counts it: an optimisation or a regression shows here.
// The count depends on T (one dispatch per step each way) and the layer structure, not on V, H or B.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => {
  ctx = await testContext();
  ctx.poisonUninitialized = false; // the dispatches counted are the ops' own, not the debug NaN fills
});
afterAll(() => ctx?.destroy());

const EXPECTED = { rnn: 112, gru: 112, lstm: 114 } as const;

describe('dispatches per training step', () => {
  for (const cell of ['rnn', 'gru', 'lstm'] as const) {
    it(`${cell}: ${EXPECTED[cell]} at T = 35`, async () => {
      const V = 16, H = 8, B = 2, T = 35;
      const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % V);
      const model = new wr.lm.CharRNN(ctx, { vocabSize: V, hiddenSize: H, cell, seed: 1 });
      const params = model.parameters();
      const opt = new wr.optim.SGD(params, { lr: 1 });
      const X = ctx.tensor(ids, [B, T], 'int32');
      const Y = ctx.tensor(Int32Array.from(ids, (v) => (v + 1) % V), [T * B], 'int32');
      const counts: number[] = [];
      for (let step = 0; step < 2; step++) {
        const d0 = ctx.dispatchCount;
        const [logits, state] = model.forward(X);
        const loss = wr.nn.functional.crossEntropy(logits, Y);
        opt.zeroGrad();
        loss.backward();
        const norm = wr.nn.utils.clipGradNorm(params, 0.01);
        opt.step();
        counts.push(ctx.dispatchCount - d0);
        for (const s of [logits, loss, norm, ...(Array.isArray(state) ? state : [state])]) s.dispose();
      }
      await ctx.sync();
      // The first step and a steady one alike (the second has gradients to zero and buffers to reuse).
      expect(counts).toEqual([EXPECTED[cell], EXPECTED[cell]]);
      for (const t of [X, Y, ...params]) t.dispose();
    });
  }
});
