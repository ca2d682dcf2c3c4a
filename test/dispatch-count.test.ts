// The number of dispatches one textbook training step encodes (CharRNN forward, cross-entropy, BPTT, gradient
// clipping, SGD), per cell, as bench/suites/recurrent.ts counts it, and those of the recurrent layers alone per
// configuration: an optimisation or a regression shows here. The count depends on T (one dispatch per step
// each way, both directions of a bidirectional layer in one) and the layer structure, not on V, H or B.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => {
  ctx = await testContext();
  ctx.poisonUninitialized = false; // the dispatches counted are the ops' own, not the debug NaN fills
});
afterAll(() => ctx?.destroy());

const EXPECTED = { rnn: 107, gru: 106, lstm: 106 } as const;

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

// [forward, forward + backward] of one layer call at T = 35: input [T, B, I] requiring a gradient, no initial
// state, gradients for the output and the final states. The 2-layer bidirectional LSTM forward is 2·(T + 1) + 4:
// per layer T steps (both directions together, each row's last step writing its rows of the stacked h_N and c_N
// in place), two input projections and one packing of the recurrent weights. Unidirectional layers gather
// their final states in one dispatch after the steps, straight into the stack too.
const LAYERS = {
  rnn: { '1 layer': [38, 84], '1 layer bidirectional': [39, 93], '2 layers': [76, 164], '2 layers bidirectional': [78, 182] },
  gru: { '1 layer': [37, 84], '1 layer bidirectional': [38, 94], '2 layers': [74, 164], '2 layers bidirectional': [76, 184] },
  lstm: { '1 layer': [37, 87], '1 layer bidirectional': [38, 96], '2 layers': [74, 168], '2 layers bidirectional': [76, 186] },
} as const;

describe('dispatches per recurrent layer call', () => {
  const T = 35, B = 2, I = 3, H = 4;
  for (const cell of ['rnn', 'gru', 'lstm'] as const) {
    for (const [config, expected] of Object.entries(LAYERS[cell])) {
      it(`${cell}, ${config}: ${expected[0]} forward, ${expected[1]} with backward`, async () => {
        const opts = { inputSize: I, hiddenSize: H, numLayers: config.startsWith('2') ? 2 : 1, bidirectional: config.endsWith('bidirectional'), seed: 1 };
        const layer = cell === 'rnn' ? new wr.nn.RNN(ctx, opts) : cell === 'gru' ? new wr.nn.GRU(ctx, opts) : new wr.nn.LSTM(ctx, opts);
        const x = ctx.tensor(Float32Array.from({ length: T * B * I }, (_, i) => Math.sin(i)), [T, B, I]);
        x.requiresGrad = true;
        const d0 = ctx.dispatchCount;
        const [output, state] = layer.forward(x) as [wr.Tensor, wr.Tensor | [wr.Tensor, wr.Tensor]];
        const forward = ctx.dispatchCount - d0;
        const states = Array.isArray(state) ? state : [state];
        const grads = [output, ...states].map((t) => ctx.tensor(new Float32Array(t.numel).fill(0.5), t.shape));
        const d1 = ctx.dispatchCount;
        wr.autograd.backward([output, ...states], grads);
        const total = forward + ctx.dispatchCount - d1;
        await ctx.sync();
        expect([forward, total]).toEqual(expected);
        for (const t of [x, output, ...states, ...grads, ...layer.parameters()]) t.dispose();
      });
    }
  }
});
