// A NaN reaching a recurrent cell comes out as NaN, the same on every GPU: the cells' activations propagate it
// instead of clamping it (WGSL leaves clamp/min/max of NaN to the implementation), so the loss check sees it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

const T = 3, B = 2, I = 3, H = 4;

/** x [T, B, I] with one NaN in batch row 0 at step 0. */
function inputWithNaN(): wr.Tensor {
  const x = Float32Array.from({ length: T * B * I }, (_, i) => Math.sin(i));
  x[0] = NaN;
  return ctx.tensor(x, [T, B, I]);
}

function expectNaNRowOnly(out: Float32Array, what: string): void {
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const row = Array.from(out.subarray((t * B + b) * H, (t * B + b + 1) * H));
      if (b === 0) expect(row.every(Number.isNaN), `${what}: step ${t}, row 0 should be NaN, got ${row}`).toBe(true);
      else expect(row.every(Number.isFinite), `${what}: step ${t}, row ${b} should be finite, got ${row}`).toBe(true);
    }
  }
}

describe('NaN through the cells', () => {
  const layers: [string, () => wr.nn.RNNBase][] = [
    ['RNN tanh', () => new wr.nn.RNN(ctx, { inputSize: I, hiddenSize: H, seed: 1 })],
    ['RNN relu', () => new wr.nn.RNN(ctx, { inputSize: I, hiddenSize: H, nonlinearity: 'relu', seed: 1 })],
    ['GRU', () => new wr.nn.GRU(ctx, { inputSize: I, hiddenSize: H, seed: 1 })],
    ['LSTM', () => new wr.nn.LSTM(ctx, { inputSize: I, hiddenSize: H, seed: 1 })],
  ];
  for (const [name, make] of layers) {
    it(`${name}: a NaN input makes its row NaN at every later step, and only its row`, async () => {
      const layer = make();
      const x = inputWithNaN();
      const [out] = (layer as wr.nn.RNN).forward(x);
      expectNaNRowOnly((await out.read()) as Float32Array, name);
    });
  }

  it('ops.tanh, sigmoid and relu pass NaN through (and keep ±Infinity saturating)', async () => {
    const x = ctx.tensor([NaN, Infinity, -Infinity, 0.5], [4]);
    for (const [name, op, inf, negInf] of [
      ['tanh', wr.ops.tanh, 1, -1], ['sigmoid', wr.ops.sigmoid, 1, 0], ['relu', wr.ops.relu, Infinity, 0],
    ] as const) {
      const y = Array.from(await op(x).read());
      expect(Number.isNaN(y[0]), `${name}(NaN) = ${y[0]}`).toBe(true);
      // sigmoid is clamped at ±30 before exp, so σ(-∞) is σ(-30) ≈ 9e-14.
      expect(y[1], name).toBe(inf);
      expect(Math.abs(y[2] - negInf), `${name}(-Infinity) = ${y[2]}`).toBeLessThan(1e-13);
    }
  });

  it('a NaN weight makes every output NaN (LSTM, also after the cell state)', async () => {
    const lstm = new wr.nn.LSTM(ctx, { inputSize: I, hiddenSize: H, seed: 1 });
    const sd = await lstm.stateDict();
    sd.bias_hh_l0[2 * H] = NaN; // the g gate of unit 0: reaches c, then h through tanh(c)
    lstm.loadStateDict(sd);
    const x = ctx.tensor(Float32Array.from({ length: T * B * I }, (_, i) => Math.cos(i)), [T, B, I]);
    const [out, [hN, cN]] = lstm.forward(x);
    const o = (await out.read()) as Float32Array;
    expect(Number.isNaN(o[0])).toBe(true); // unit 0, step 0
    expect(Array.from(await hN.read()).every(Number.isNaN)).toBe(true); // spread to every unit through W_hh
    expect(Array.from(await cN.read()).every(Number.isNaN)).toBe(true);
  });

  it('train() stops with NonFiniteLossError when a weight is NaN', async () => {
    const { vocab, indices } = wr.data.charCorpus('abcdefgh'.repeat(10));
    for (const cell of ['rnn', 'gru', 'lstm'] as const) {
      const model = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 8, cell, seed: 1 });
      const sd = await model.stateDict();
      sd['rnn.bias_hh_l0'][0] = NaN;
      model.loadStateDict(sd);
      const err = await wr.train(model, indices, { epochs: 1, numSteps: 4, batchSize: 2, lr: 0.1, sampling: 'consecutive' })
        .then(() => null, (e: unknown) => e);
      expect(err, cell).toBeInstanceOf(wr.NonFiniteLossError);
      expect((err as wr.NonFiniteLossError).value, cell).toBeNaN();
    }
  });
});
