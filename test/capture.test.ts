// Capture and replay (Context.capture): replayed training steps give bit-identical parameters to the same steps
// run uncaptured, and to the textbook's loop (state carried and detached); a replay encodes the same dispatches
// and creates nothing; misuse gets an error that names it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { testContext } from './helpers.js';
import { detachState, disposeState, type RNNState } from '../src/lm/charrnn.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

const CELLS = ['rnn', 'gru', 'lstm'] as const;
const TEXT = 'the quick brown fox jumps over the lazy dog. '.repeat(3);

/** Every parameter's bits, by name (float32 compared as integers: bit-identical, NaN included). */
async function paramBits(model: wr.lm.CharRNN): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [name, p] of model.namedParameters()) out[name] = Array.from(new Uint32Array(((await p.read()) as Float32Array).buffer));
  return out;
}

/** The textbook's loop, uncaptured, as train() ran it before capture: a fresh tensor per batch, the state carried
 *  over detached (null at each epoch's start), the loss read once per epoch. */
async function textbookLoop(model: wr.lm.CharRNN, indices: Int32Array, o: {
  epochs: number; numSteps: number; batchSize: number; lr: number; clipTheta: number; optimizer: 'sgd' | 'adam';
}): Promise<number[]> {
  const params = model.parameters();
  const opt = o.optimizer === 'adam' ? new wr.optim.Adam(params, { lr: o.lr }) : new wr.optim.SGD(params, { lr: o.lr });
  const perplexities: number[] = [];
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    let state: RNNState | null = null;
    const losses: number[] = [];
    for (const { X, Y } of wr.data.consecutiveIter(indices, o.batchSize, o.numSteps)) {
      const x = ctx.tensor(X, [o.batchSize, o.numSteps], 'int32');
      const ym = new Int32Array(o.batchSize * o.numSteps);
      for (let b = 0; b < o.batchSize; b++) for (let t = 0; t < o.numSteps; t++) ym[t * o.batchSize + b] = Y[b * o.numSteps + t];
      const y = ctx.tensor(ym, [ym.length], 'int32');
      const [logits, newState] = model.forward(x, state);
      if (state) disposeState(state);
      const loss = wr.nn.functional.crossEntropy(logits, y);
      opt.zeroGrad();
      loss.backward();
      wr.nn.utils.clipGradNorm(params, o.clipTheta).dispose();
      opt.step();
      losses.push(((await loss.read()) as Float32Array)[0]);
      state = detachState(newState);
      disposeState(newState);
      for (const t of [x, y, logits, loss]) t.dispose();
    }
    disposeState(state);
    perplexities.push(Math.exp(losses.reduce((a, b) => a + b, 0) / losses.length));
  }
  opt.zeroGrad();
  opt.dispose();
  return perplexities;
}

describe('captured training steps are bit-identical to uncaptured ones', () => {
  for (const cell of CELLS) {
    for (const optimizer of ['sgd', 'adam'] as const) {
      it(`${cell}, ${optimizer}, consecutive sampling (state carried)`, async () => {
        const { vocab, indices } = wr.data.charCorpus(TEXT);
        const opts = { epochs: 2, numSteps: 5, batchSize: 3, lr: optimizer === 'adam' ? 0.01 : 1, clipTheta: 1, optimizer };
        const make = () => new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 6, cell, seed: 11 });
        const [captured, uncaptured, textbook] = [make(), make(), make()];
        const batches = wr.data.numBatches(indices.length, opts.batchSize, opts.numSteps, 'consecutive');
        expect(batches).toBeGreaterThan(3); // some steps are replays
        const a = await wr.train(captured, indices, { ...opts, sampling: 'consecutive' });
        const b = await wr.train(uncaptured, indices, { ...opts, sampling: 'consecutive', capture: false });
        const c = await textbookLoop(textbook, indices, opts);
        const bits = await paramBits(captured);
        expect(bits).toEqual(await paramBits(uncaptured));
        expect(bits).toEqual(await paramBits(textbook));
        expect(a.map((r) => r.perplexity)).toEqual(b.map((r) => r.perplexity));
        expect(a.map((r) => r.perplexity)).toEqual(c);
        expect(a[1].perplexity).toBeLessThan(a[0].perplexity);
        for (const m of [captured, uncaptured, textbook]) for (const p of m.parameters()) p.dispose();
      });
    }
  }
});
