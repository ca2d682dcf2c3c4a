// Bad input to the layers: each error names the offending thing and leaves the layer as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

async function snapshot(m: wr.nn.Module): Promise<Record<string, number[]>> {
  const sd = await m.stateDict();
  return Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, Array.from(v)]));
}

describe('layer input validation', () => {
  it('wrong input width, rank and batchFirst layout', () => {
    const rnn = new wr.nn.RNN(ctx, { inputSize: 3, hiddenSize: 4, seed: 1 });
    expect(() => rnn.forward(ctx.tensor(new Float32Array(2 * 2 * 5), [2, 2, 5]))).toThrow(/\[2, 2, 5\].*inputSize 3/);
    expect(() => rnn.forward(ctx.tensor(new Float32Array(6), [2, 3]))).toThrow(RangeError);
  });

  it('wrong h0 / c0 shapes name the state and the expected shape', () => {
    const gru = new wr.nn.GRU(ctx, { inputSize: 3, hiddenSize: 4, numLayers: 2, seed: 1 });
    const x = ctx.tensor(new Float32Array(5 * 2 * 3), [5, 2, 3]);
    expect(() => gru.forward(x, ctx.zeros([1, 2, 4]))).toThrow(/h0 \[1, 2, 4\] should be \[2, 2, 4\]/);
    const lstm = new wr.nn.LSTM(ctx, { inputSize: 3, hiddenSize: 4, bidirectional: true, seed: 1 });
    expect(() => lstm.forward(x, [ctx.zeros([2, 2, 4]), ctx.zeros([2, 3, 4])])).toThrow(/c0 \[2, 3, 4\] should be \[2, 2, 4\]/);
  });

  it('a rejected call allocates nothing (batchFirst input with a wrong h0, empty input)', async () => {
    // Counters of a context of its own: tensors other tests dropped are collected at random times.
    const own = await wr.init({ device: ctx.device });
    try {
      const lstm = new wr.nn.LSTM(own, { inputSize: 3, hiddenSize: 4, batchFirst: true, seed: 1 });
      const x = own.tensor(new Float32Array(2 * 5 * 3), [2, 5, 3]);
      const h0 = own.zeros([1, 3, 4]);
      const c0 = own.zeros([1, 2, 4]);
      const empty = own.tensor(new Float32Array(0), [2, 0, 3]);
      const before = own.memoryStats();
      expect(() => lstm.forward(x, [h0, c0])).toThrow(/h0 \[1, 3, 4\] should be \[1, 2, 4\]/);
      expect(() => lstm.forward(empty)).toThrow(/is empty/);
      const model = new wr.lm.CharRNN(own, { vocabSize: 5, hiddenSize: 4, cell: 'gru', seed: 1 });
      const ids = own.tensor(Int32Array.of(0, 1, 2, 3, 4, 0), [2, 3], 'int32');
      const badState = own.zeros([1, 3, 4]);
      const afterSetup = own.memoryStats();
      expect(() => model.forward(ids, badState)).toThrow(/h0 \[1, 3, 4\] should be \[1, 2, 4\]/);
      expect(own.memoryStats().liveTensors).toBe(afterSetup.liveTensors);
      expect(own.memoryStats().liveBuffers).toBe(afterSetup.liveBuffers);
      expect(afterSetup.liveTensors - before.liveTensors).toBe(model.parameters().length + 2);
    } finally {
      own.destroy();
    }
  });

  it('a token id outside the vocabulary names the id and its position', () => {
    const lstm = new wr.nn.LSTM(ctx, { inputSize: 6, hiddenSize: 4, seed: 1 });
    const ids = ctx.tensor(Int32Array.of(0, 1, 2, 6), [2, 2], 'int32');
    expect(() => lstm.forward(ids)).toThrow(/token id 6 at position 3.*\[0, 6\)/);
  });

  it('a bad state dict names every problem and changes nothing', async () => {
    const lstm = new wr.nn.LSTM(ctx, { inputSize: 3, hiddenSize: 2, seed: 1 });
    const before = await snapshot(lstm);
    const good = await lstm.stateDict();
    const { bias_hh_l0: _dropped, ...missing } = good;
    expect(() => lstm.loadStateDict(missing)).toThrow(/missing: bias_hh_l0/);
    expect(() => lstm.loadStateDict({ ...good, extra: new Float32Array(1) })).toThrow(/unknown: extra/);
    const zeros = Object.fromEntries(Object.entries(good).map(([k, v]) => [k, new Float32Array(v.length)]));
    expect(() => lstm.loadStateDict({ ...zeros, weight_hh_l0: new Float32Array(3) })).toThrow(/weight_hh_l0 has 3 values, expected 16/);
    // An entry present but undefined is missing too: nothing half-loaded before a TypeError.
    expect(() => lstm.loadStateDict({ ...zeros, weight_hh_l0: undefined as unknown as Float32Array })).toThrow(/missing: weight_hh_l0/);
    expect(() => lstm.loadStateDict({ ...zeros, weight_hh_l0: 7 as unknown as Float32Array })).toThrow(/weight_hh_l0 is not an array of numbers/);
    // With shapes (as io.loadSafetensors gives them), the right count in the wrong shape is refused too.
    const shapes = lstm.parameterShapes();
    expect(() => lstm.loadStateDict(zeros, { ...shapes, weight_ih_l0: [3, 8] })).toThrow(/weight_ih_l0 has shape \[3, 8\], expected \[8, 3\]/);
    expect(await snapshot(lstm)).toEqual(before);
    lstm.loadStateDict(zeros, shapes);
    expect(Object.values(await snapshot(lstm)).flat().every((v) => v === 0)).toBe(true);
  });

  it('bad options are rejected with their names', () => {
    expect(() => new wr.nn.RNN(ctx, { inputSize: 0, hiddenSize: 4 })).toThrow(/inputSize/);
    expect(() => new wr.nn.RNN(ctx, { inputSize: 2, hiddenSize: 4, nonlinearity: 'gelu' as 'tanh' })).toThrow(/nonlinearity/);
    expect(() => new wr.nn.Linear(ctx, { inFeatures: 2, outFeatures: 1.5 })).toThrow(/outFeatures/);
    const withNonlinearity = { inputSize: 2, hiddenSize: 2, nonlinearity: 'relu' } as unknown as wr.nn.GRUOptions;
    expect(() => new wr.nn.GRU(ctx, withNonlinearity)).toThrow(/GRU: unexpected option 'nonlinearity'/);
    expect(() => new wr.nn.LSTM(ctx, withNonlinearity)).toThrow(/LSTM: unexpected option 'nonlinearity'/);
  });

  it('default initialisation is U(-1/sqrt(H), 1/sqrt(H)) as in PyTorch', async () => {
    const gru = new wr.nn.GRU(ctx, { inputSize: 5, hiddenSize: 16, seed: 3 });
    for (const [name, values] of Object.entries(await gru.stateDict())) {
      const max = Math.max(...Array.from(values, Math.abs));
      expect(max, name).toBeLessThanOrEqual(0.25);
      expect(max, name).toBeGreaterThan(0.2); // many draws: the extremes come close to the bound
    }
  });
});

describe('Linear', () => {
  it('y = x·Wᵀ + b on any leading shape, with gradients', async () => {
    const lin = new wr.nn.Linear(ctx, { inFeatures: 3, outFeatures: 2, seed: 1 });
    lin.loadStateDict({ weight: Float32Array.of(1, 2, 3, 4, 5, 6), bias: Float32Array.of(0.5, -1) });
    const x = ctx.tensor([1, 0, -1, 2, 1, 0], [1, 2, 3]);
    x.requiresGrad = true;
    const y = lin.forward(x);
    expect([...y.shape]).toEqual([1, 2, 2]);
    expect(Array.from(await y.read())).toEqual([1 - 3 + 0.5, 4 - 6 - 1, 2 + 2 + 0.5, 8 + 5 - 1]);
    y.backward(ctx.tensor([1, 0, 0, 1], [1, 2, 2]));
    expect(Array.from(await lin.weight.grad!.read())).toEqual([1, 0, -1, 2, 1, 0]);
    expect(Array.from(await lin.bias!.grad!.read())).toEqual([1, 1]);
    expect(Array.from(await x.grad!.read())).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
