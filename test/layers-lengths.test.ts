// Variable-length batches (API.md 10) and LSTM projections (API.md 9) against PyTorch fixtures: outputs, final
// states and every gradient, 1e-4. Two independent sets: test/fixtures/lengths.json (gen_fixtures_lengths.py)
// and the projSize / lengths cases of nn_layers.json (gen_fixtures_nn.py).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import lengths from './fixtures/lengths.json';
import { testContext } from './helpers.js';
import { checkLayerCase, type LayerCase } from './layers-fixtures.js';
import { nnLayerCases } from './nn-fixtures.js';

const cases = (lengths as { cases: LayerCase[] }).cases;

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

describe('variable lengths and projections match PyTorch (lengths.json)', () => {
  for (const c of cases) {
    it(c.name, () => checkLayerCase(ctx, c));
  }
});

describe('variable lengths and projections match PyTorch (nn_layers.json)', () => {
  for (const c of nnLayerCases) {
    it(c.name, () => checkLayerCase(ctx, c));
  }
});

describe('lengths and projSize: bad input', () => {
  const x = () => ctx.tensor(new Float32Array(4 * 3 * 2), [4, 3, 2]); // T = 4, B = 3

  it('lengths of the wrong count, out of 1..T, non-integer or of the wrong type name the problem', () => {
    const gru = new wr.nn.GRU(ctx, { inputSize: 2, hiddenSize: 5, seed: 1 });
    expect(() => gru.forward(x(), null, { lengths: [4, 2] })).toThrow(/lengths has 2 entries, expected one per batch row \(3\)/);
    expect(() => gru.forward(x(), null, { lengths: [4, 0, 2] })).toThrow(/lengths\[1\] = 0 is outside 1\.\.4 \(row 1/);
    expect(() => gru.forward(x(), null, { lengths: [4, 2, 5] })).toThrow(/lengths\[2\] = 5 is outside 1\.\.4 \(row 2/);
    expect(() => gru.forward(x(), null, { lengths: [1.5, 2, 3] })).toThrow(/lengths\[0\] = 1.5 is outside/);
    expect(() => gru.forward(x(), null, { lengths: Int32Array.of(4, -1, 2) })).toThrow(RangeError);
    expect(() => gru.forward(x(), null, { lengths: new Float32Array([1, 2, 3]) as unknown as number[] })).toThrow(TypeError);
    expect(() => gru.forward(x(), null, 3 as unknown as { lengths: number[] })).toThrow(/forward options must be an object/);
    const lstm = new wr.nn.LSTM(ctx, { inputSize: 2, hiddenSize: 5, batchFirst: true, seed: 1 });
    // batchFirst: B is the first axis, T the second.
    const xb = ctx.tensor(new Float32Array(3 * 4 * 2), [3, 4, 2]);
    expect(() => lstm.forward(xb, null, { lengths: [4, 4, 4, 4] })).toThrow(/4 entries, expected one per batch row \(3\)/);
  });

  it('invalid projSize is rejected as PyTorch does', () => {
    const base = { inputSize: 2, hiddenSize: 5, seed: 1 };
    expect(() => new wr.nn.LSTM(ctx, { ...base, projSize: 5 })).toThrow(/projSize \(5\) has to be smaller than hiddenSize \(5\)/);
    expect(() => new wr.nn.LSTM(ctx, { ...base, projSize: 7 })).toThrow(RangeError);
    expect(() => new wr.nn.LSTM(ctx, { ...base, projSize: -1 })).toThrow(/positive integer or zero/);
    expect(() => new wr.nn.LSTM(ctx, { ...base, projSize: 1.5 })).toThrow(/positive integer or zero/);
    expect(() => new wr.nn.GRU(ctx, { ...base, projSize: 2 } as wr.nn.GRUOptions)).toThrow(/only supported for LSTM/);
    const lstm = new wr.nn.LSTM(ctx, { ...base, projSize: 2, numLayers: 2, bidirectional: true });
    expect(lstm.parameterShapes()).toMatchObject({
      weight_hh_l0: [20, 2], weight_hr_l0: [2, 5], weight_hr_l0_reverse: [2, 5], weight_ih_l1: [20, 4], weight_hr_l1: [2, 5],
    });
  });

  it('h0 shaped for the wrong projSize names it; a rejected call allocates nothing', async () => {
    const own = await wr.init({ device: ctx.device });
    try {
      const lstm = new wr.nn.LSTM(own, { inputSize: 2, hiddenSize: 5, projSize: 2, seed: 1 });
      const xs = own.tensor(new Float32Array(4 * 3 * 2), [4, 3, 2]);
      const h0 = own.zeros([1, 3, 5]);
      const c0 = own.zeros([1, 3, 5]);
      const before = own.memoryStats();
      expect(() => lstm.forward(xs, [h0, c0])).toThrow(/h0 \[1, 3, 5\] should be \[1, 3, 2\] \(projSize 2\)/);
      expect(() => lstm.forward(xs, [own.zeros([1, 3, 2]), own.zeros([1, 3, 2])])).toThrow(/c0 \[1, 3, 2\] should be \[1, 3, 5\]/);
      const afterStates = own.memoryStats();
      expect(() => lstm.forward(xs, null, { lengths: [4, 9, 1] })).toThrow(/lengths\[1\] = 9/);
      expect(own.memoryStats().liveTensors).toBe(afterStates.liveTensors);
      expect(own.memoryStats().liveBuffers).toBe(afterStates.liveBuffers);
      expect(afterStates.liveTensors - before.liveTensors).toBe(2); // the two states made for the second call
    } finally {
      own.destroy();
    }
  });
});

describe('lengths cost no extra dispatches', () => {
  for (const cell of ['rnn', 'gru', 'lstm'] as const) {
    it(`${cell}: 2 bidirectional layers, forward + backward, with and without lengths`, async () => {
      const opts = { inputSize: 2, hiddenSize: 5, numLayers: 2, bidirectional: true, seed: 1 };
      const layer = cell === 'rnn' ? new wr.nn.RNN(ctx, opts) : cell === 'gru' ? new wr.nn.GRU(ctx, opts) : new wr.nn.LSTM(ctx, opts);
      const x = ctx.tensor(new Float32Array(24).map((_, i) => Math.sin(i)), [4, 3, 2]);
      x.requiresGrad = true;
      // Counted without the test context's NaN fills of new buffers, and from no gradients each time.
      const count = (lengths?: Int32Array): number => {
        layer.zeroGrad();
        x.grad?.dispose();
        x.grad = null;
        ctx.poisonUninitialized = false;
        const d0 = ctx.dispatchCount;
        const [out, state] = (layer as wr.nn.GRU).forward(x, null, lengths ? { lengths } : undefined) as [wr.Tensor, wr.Tensor | wr.Tensor[]];
        const states = Array.isArray(state) ? state : [state];
        wr.autograd.backward([out, ...states], [ctx.tensor(new Float32Array(out.numel).fill(1), out.shape),
          ...states.map((s) => ctx.tensor(new Float32Array(s.numel).fill(1), s.shape))]);
        const n = ctx.dispatchCount - d0;
        ctx.poisonUninitialized = true;
        return n;
      };
      const plain = count();
      const padded = count(Int32Array.of(2, 4, 1));
      expect(padded).toBe(plain);
    });
  }
});
