// Dropout inside a captured step: each replay draws the next mask from the generator, exactly as the step run
// uncaptured does, so captured and uncaptured training with dropout give bit-identical parameters; eval mode
// stays free (no dispatch).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

const V = 7, H = 5, B = 2, T = 4, STEPS = 6;

async function bits(params: readonly Tensor[]): Promise<number[][]> {
  return Promise.all(params.map(async (p) => Array.from(new Uint32Array(((await p.read()) as Float32Array).buffer))));
}

const batch = (i: number) => ({
  x: Int32Array.from({ length: B * T }, (_, k) => (k * 3 + i) % V),
  y: Int32Array.from({ length: B * T }, (_, k) => (k * 5 + 2 * i) % V),
});

interface Model {
  forward(x: Tensor): Tensor; // logits [T*B, V]
  params: Tensor[];
  /** The generator its dropout draws from. */
  generator: wr.nn.Generator;
}

/** A 2-layer GRU over token ids with dropout 0.3 between the layers (the context's generator), and a dense layer. */
function stackedGru(seed: number): Model {
  const generator = wr.nn.manualSeed(ctx, seed);
  const gru = new wr.nn.GRU(ctx, { inputSize: V, hiddenSize: H, numLayers: 2, dropout: 0.3, seed: 4 });
  const dense = new wr.nn.Linear(ctx, { inFeatures: H, outFeatures: V, seed: 5 });
  return {
    forward: (x) => {
      const [out, h] = gru.forward(x) as [Tensor, Tensor];
      const flat = out.reshape([T * B, H]);
      const logits = dense.forward(flat);
      for (const t of [out, h, flat]) t.dispose();
      return logits;
    },
    params: [...gru.parameters(), ...dense.parameters()],
    generator,
  };
}

/** Embedding → nn.Dropout(0.4, its own seeded generator) → RNN → dense. */
function embeddingDropout(seed: number): Model {
  const E = 3;
  const emb = new wr.nn.Embedding(ctx, { numEmbeddings: V, embeddingDim: E, seed: 6 });
  const drop = new wr.nn.Dropout(ctx, { p: 0.4, seed });
  const rnn = new wr.nn.RNN(ctx, { inputSize: E, hiddenSize: H, seed: 7 });
  const dense = new wr.nn.Linear(ctx, { inFeatures: H, outFeatures: V, seed: 8 });
  return {
    forward: (x) => {
      const e = emb.forward(x); // [T, B, E]
      const d = drop.forward(e);
      const [out, h] = rnn.forward(d) as [Tensor, Tensor];
      const flat = out.reshape([T * B, H]);
      const logits = dense.forward(flat);
      for (const t of [e, d, out, h, flat]) t.dispose();
      return logits;
    },
    params: [...emb.parameters(), ...rnn.parameters(), ...dense.parameters()],
    generator: drop.generator!,
  };
}

/** STEPS training steps (forward, loss, backward, clip, Adam), captured or not; returns the final parameters. */
async function train(make: (seed: number) => Model, seed: number, capture: boolean): Promise<{ params: number[][]; losses: number[]; draws: number }> {
  const m = make(seed);
  const opt = new wr.optim.Adam(m.params, { lr: 0.05 });
  const x = ctx.tensor(new Int32Array(B * T), [T, B], 'int32');
  const y = ctx.tensor(new Int32Array(B * T), [T * B], 'int32');
  const fn = () => {
    const logits = m.forward(x);
    const loss = wr.nn.functional.crossEntropy(logits, y);
    opt.zeroGrad();
    loss.backward();
    wr.nn.utils.clipGradNorm(m.params, 1).dispose();
    opt.step();
    logits.dispose();
    return loss;
  };
  const step = capture ? ctx.capture(fn, { inputs: { x, y } }) : null;
  const losses: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    let loss: Tensor;
    if (step) {
      loss = step.run(batch(i));
    } else {
      const { x: X, y: Y } = batch(i);
      ctx.writeBuffer(x.buffer, 0, X, true);
      ctx.writeBuffer(y.buffer, 0, Y, true);
      x.cpuData = X;
      y.cpuData = Y;
      loss = fn();
    }
    losses.push(((await loss.read()) as Float32Array)[0]);
    if (!step) loss.dispose();
  }
  if (step) expect(step.isCaptured).toBe(true); // the later steps were replays
  const params = await bits(m.params);
  step?.dispose();
  opt.zeroGrad();
  opt.dispose();
  for (const t of [x, y, ...m.params]) t.dispose();
  return { params, losses, draws: m.generator.offset };
}

describe('dropout in a captured training step', () => {
  for (const [name, make] of [['2-layer GRU, dropout 0.3', stackedGru], ['Embedding → nn.Dropout(0.4)', embeddingDropout]] as const) {
    it(`${name}: replays draw fresh masks, bit-identical to the steps run uncaptured`, async () => {
      const captured = await train(make, 99, true);
      const uncaptured = await train(make, 99, false);
      expect(captured.params).toEqual(uncaptured.params);
      expect(captured.losses).toEqual(uncaptured.losses);
      // One draw per step (a dropout call between the two GRU layers, or the nn.Dropout), replays included.
      expect(captured.draws).toBe(STEPS);
      expect(uncaptured.draws).toBe(STEPS);
      // The masks matter: another seed trains differently.
      const otherSeed = await train(make, 100, true);
      expect(otherSeed.losses).not.toEqual(captured.losses);
    });
  }

  it('eval mode: no dropout dispatch, captured or not', async () => {
    ctx.poisonUninitialized = false;
    try {
      const counts: number[] = [];
      for (const p of [0.3, 0]) {
        const gru = new wr.nn.GRU(ctx, { inputSize: V, hiddenSize: H, numLayers: 2, dropout: p, seed: 4 });
        gru.eval();
        const x = ctx.tensor(batch(0).x, [T, B], 'int32');
        const step = ctx.capture(() => wr.noGrad(() => gru.forward(x)) as [Tensor, Tensor], { inputs: { x } });
        while (!step.isCaptured) step.run();
        counts.push(step.dispatchCount!);
        step.dispose();
        for (const t of [x, ...gru.parameters()]) t.dispose();
      }
      expect(counts[0]).toBe(counts[1]);
    } finally {
      ctx.poisonUninitialized = true;
    }
  });
});

describe('train() with a CharRNN that has dropout', () => {
  it('2-layer LSTM, dropout 0.3: the captured default is bit-identical to capture: false', async () => {
    const { indices, vocab } = wr.data.charCorpus('the quick brown fox jumps over the lazy dog. '.repeat(2));
    const run = async (capture: boolean) => {
      const model = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 6, cell: 'lstm', numLayers: 2, dropout: 0.3, seed: 2 });
      const generator = wr.nn.manualSeed(ctx, 17);
      const records = await wr.train(model, indices, {
        epochs: 2, numSteps: 5, batchSize: 2, lr: 1, clipTheta: 1, sampling: 'consecutive', capture,
      });
      const params = await bits(model.parameters());
      for (const p of model.parameters()) p.dispose();
      return { params, perplexities: records.map((r) => r.perplexity), draws: generator.offset };
    };
    const captured = await run(true);
    const uncaptured = await run(false);
    const steps = 2 * wr.data.numBatches(indices.length, 2, 5, 'consecutive');
    expect(steps).toBeGreaterThan(6); // most steps are replays
    expect(captured.draws).toBe(steps); // one mask per step, between the two layers
    expect(captured).toEqual(uncaptured);
  });
});
