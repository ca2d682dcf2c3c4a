// The layers' dropout option against PyTorch (test/fixtures/modules.json): eval mode (PyTorch's own module:
// the identity), p = 1 in training mode (PyTorch's module: the next layer sees zeros), and 0 < p < 1 in
// training mode, where PyTorch ran the layers one by one with the masks webrnn draws (rebuilt there from the
// seed; here checked against the TypeScript Philox too). Also train()/eval() on modules and bad options.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import fixtures from './fixtures/modules.json';
import { expectClose, randomArray, testContext } from './helpers.js';

interface DropoutLayerCase {
  name: string; cell: 'rnn' | 'gru' | 'lstm'; nonlinearity: 'tanh' | 'relu'; mode: 'eval' | 'train' | 'train-mask';
  dropout: number; seed: number; inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean;
  batchFirst: boolean; T: number; B: number; masks: number[][];
  params: Record<string, number[]>; x: number[]; xShape: number[]; h0: number[]; c0: number[] | null;
  output: number[]; outputShape: number[]; hN: number[]; cN: number[] | null;
  dOutput: number[]; dHN: number[]; dCN: number[] | null;
  grads: Record<string, number[]>; dx: number[]; dh0: number[]; dc0: number[] | null;
}
const cases = (fixtures as unknown as { layers: DropoutLayerCase[] }).layers;
const ATOL = 1e-4;

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

function makeLayer(c: Pick<DropoutLayerCase, 'cell' | 'nonlinearity' | 'inputSize' | 'hiddenSize' | 'numLayers' | 'bidirectional' | 'batchFirst' | 'dropout'>): wr.nn.RNNBase {
  const opts = {
    inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, bidirectional: c.bidirectional,
    batchFirst: c.batchFirst, dropout: c.dropout,
  };
  if (c.cell === 'rnn') return new wr.nn.RNN(ctx, { ...opts, nonlinearity: c.nonlinearity });
  return c.cell === 'gru' ? new wr.nn.GRU(ctx, opts) : new wr.nn.LSTM(ctx, opts);
}

function forward(layer: wr.nn.RNNBase, x: wr.Tensor, h0: wr.Tensor, c0: wr.Tensor | null): [wr.Tensor, wr.Tensor, wr.Tensor | null] {
  if (layer instanceof wr.nn.LSTM) {
    const [output, [hN, cN]] = layer.forward(x, [h0, c0!]);
    return [output, hN, cN];
  }
  const [output, hN] = (layer as wr.nn.RNN).forward(x, h0);
  return [output, hN, null];
}

describe('layers with dropout match PyTorch', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const layer = makeLayer(c);
      expect(layer.dropout).toBe(c.dropout);
      layer.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, Float32Array.from(v)])));
      if (c.mode === 'eval') layer.eval();
      const n = c.T * c.B * (c.bidirectional ? 2 : 1) * c.hiddenSize;
      c.masks.forEach((mask, offset) => {
        // The mask PyTorch was given is the one the TypeScript Philox rebuilds from the seed.
        const bits = wr.nn.randomWords({ seed: c.seed, offset }, n);
        const threshold = Math.floor(c.dropout * 2 ** 32);
        expect(Array.from(bits, (b) => (b >= threshold ? 1 : 0)), `mask ${offset}`).toEqual(mask);
      });
      wr.nn.manualSeed(ctx, c.seed);
      const x = ctx.tensor(c.x, c.xShape);
      x.requiresGrad = true;
      const stateShape = [(c.bidirectional ? 2 : 1) * c.numLayers, c.B, c.hiddenSize];
      const h0 = ctx.tensor(c.h0, stateShape);
      h0.requiresGrad = true;
      const c0 = c.c0 ? ctx.tensor(c.c0, stateShape) : null;
      if (c0) c0.requiresGrad = true;
      const [output, hN, cN] = forward(layer, x, h0, c0);
      // One draw per dropout call in training mode (numLayers - 1), none in eval mode.
      expect(wr.nn.defaultGenerator(ctx).offset).toBe(c.mode === 'eval' ? 0 : c.numLayers - 1);
      expect([...output.shape]).toEqual(c.outputShape);
      expectClose(await output.read(), c.output, ATOL, 0, `${c.name} output`);
      expectClose(await hN.read(), c.hN, ATOL, 0, `${c.name} hN`);
      if (cN) expectClose(await cN.read(), c.cN!, ATOL, 0, `${c.name} cN`);
      const roots = [output, hN, ...(cN ? [cN] : [])];
      const grads = [ctx.tensor(c.dOutput, output.shape), ctx.tensor(c.dHN, hN.shape), ...(cN ? [ctx.tensor(c.dCN!, cN.shape)] : [])];
      wr.autograd.backward(roots, grads);
      for (const [name, p] of layer.namedParameters()) expectClose(await p.grad!.read(), c.grads[name], ATOL, 0, `${c.name} grad ${name}`);
      expectClose(await x.grad!.read(), c.dx, ATOL, 0, `${c.name} dx`);
      expectClose(await h0.grad!.read(), c.dh0, ATOL, 0, `${c.name} dh0`);
      if (c0) expectClose(await c0.grad!.read(), c.dc0!, ATOL, 0, `${c.name} dc0`);
    });
  }
});

describe('layers: dropout costs nothing in eval mode', () => {
  it('a 2-layer GRU with dropout in eval mode dispatches as many kernels as one without', async () => {
    const opts = { inputSize: 3, hiddenSize: 4, numLayers: 2, seed: 1 };
    const x = ctx.tensor(randomArray(24, 1), [4, 2, 3]);
    const count = (layer: wr.nn.GRU): number => {
      const before = ctx.dispatchCount;
      layer.forward(x);
      return ctx.dispatchCount - before;
    };
    const plain = count(new wr.nn.GRU(ctx, opts));
    const withDropout = new wr.nn.GRU(ctx, { ...opts, dropout: 0.5 });
    // Training: one dropout dispatch between the 2 layers (and the NaN fill of its output the tests turn on).
    expect(count(withDropout)).toBe(plain + 1 + (ctx.poisonUninitialized ? 1 : 0));
    expect(count(withDropout.eval())).toBe(plain);
    const [a] = withDropout.forward(x);
    const [b] = new wr.nn.GRU(ctx, opts).forward(x); // same seed: same weights
    expect(await a.read()).toEqual(await b.read());
  });
});

describe('train() / eval()', () => {
  it('a new module trains; train and eval recurse into children and return the module', () => {
    class Net extends wr.nn.Module {
      readonly emb = this.child('emb', new wr.nn.Embedding(ctx, { numEmbeddings: 5, embeddingDim: 3 }));
      readonly rnn = this.child('rnn', new wr.nn.LSTM(ctx, { inputSize: 3, hiddenSize: 2, numLayers: 2, dropout: 0.2 }));
      readonly drop = this.child('drop', new wr.nn.Dropout(ctx, { p: 0.1 }));
      readonly cell = this.child('cell', new wr.nn.GRUCell(ctx, { inputSize: 2, hiddenSize: 2 }));
      private child<M extends wr.nn.Module>(name: string, m: M): M {
        return this.registerModule(name, m);
      }
    }
    const net = new Net(ctx);
    const all = [net, net.emb, net.rnn, net.drop, net.cell];
    expect(all.map((m) => m.training)).toEqual([true, true, true, true, true]);
    expect(net.eval()).toBe(net);
    expect(all.map((m) => m.training)).toEqual([false, false, false, false, false]);
    expect(net.train()).toBe(net);
    expect(all.map((m) => m.training)).toEqual([true, true, true, true, true]);
    net.train(false);
    expect(all.map((m) => m.training)).toEqual([false, false, false, false, false]);
    net.drop.train(); // only that child
    expect(all.map((m) => m.training)).toEqual([false, false, false, true, false]);
    expect(() => net.train('yes' as unknown as boolean)).toThrow(/train: mode must be a boolean, got yes/);
    expect(net.drop.training).toBe(true);
  });
});

describe('layers: bad dropout option', () => {
  it('a dropout outside [0, 1] throws naming the layer; 1 is allowed as in PyTorch', () => {
    const opts = { inputSize: 2, hiddenSize: 3, numLayers: 2 };
    const live = ctx.liveTensors;
    expect(() => new wr.nn.LSTM(ctx, { ...opts, dropout: 1.2 })).toThrow(/LSTM: dropout must be a number in \[0, 1\], got 1.2/);
    expect(() => new wr.nn.GRU(ctx, { ...opts, dropout: -0.5 })).toThrow(/GRU: dropout must be a number in \[0, 1\], got -0.5/);
    expect(() => new wr.nn.RNN(ctx, { ...opts, dropout: '0.1' as unknown as number })).toThrow(/RNN: dropout must be a number in \[0, 1\], got 0.1/);
    expect(ctx.liveTensors).toBe(live);
    expect(new wr.nn.RNN(ctx, { ...opts, dropout: 1 }).dropout).toBe(1);
  });
});
