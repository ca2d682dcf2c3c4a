// nn.Embedding against PyTorch (test/fixtures/modules.json from gen_fixtures_modules.py): output and weight
// gradient with and without paddingIdx (negative too), the init, and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import fixtures from './fixtures/modules.json';
import { expectClose, testContext } from './helpers.js';
import { embeddingCases as sharedCases } from './nn-fixtures.js';

interface EmbeddingCase {
  name: string; numEmbeddings: number; embeddingDim: number; paddingIdx: number | null;
  weight: number[]; ids: number[]; idsShape: number[]; output: number[]; outputShape: number[];
  dOutput: number[]; dWeight: number[];
}
const cases = (fixtures as unknown as { embedding: EmbeddingCase[] }).embedding;

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

describe('nn.Embedding matches PyTorch', () => {
  // Ours (gen_fixtures_modules.py) and the shared ones of API.md 9-13 (gen_fixtures_nn.py), same layout.
  for (const c of [...cases, ...sharedCases.map((s) => ({ ...s, name: `${s.name} (nn_embedding.json)` }))]) {
    it(c.name, async () => {
      const emb = new wr.nn.Embedding(ctx, { numEmbeddings: c.numEmbeddings, embeddingDim: c.embeddingDim, paddingIdx: c.paddingIdx });
      expect([...emb.namedParameters().keys()]).toEqual(['weight']);
      expect([...emb.weight.shape]).toEqual([c.numEmbeddings, c.embeddingDim]);
      emb.loadStateDict({ weight: Float32Array.from(c.weight) });
      const ids = ctx.tensor(Int32Array.from(c.ids), c.idsShape, 'int32');
      const out = emb.forward(ids);
      expect([...out.shape]).toEqual(c.outputShape);
      expectClose(await out.read(), c.output, 1e-6, 0, `${c.name} output`);
      out.backward(ctx.tensor(c.dOutput, out.shape));
      expectClose(await emb.weight.grad!.read(), c.dWeight, 1e-4, 0, `${c.name} weight grad`);
      if (c.paddingIdx !== null) {
        const pad = c.paddingIdx < 0 ? c.paddingIdx + c.numEmbeddings : c.paddingIdx;
        expect(c.ids).toContain(pad); // the padding row was looked up, and still got no gradient
        const grad = (await emb.weight.grad!.read()).slice(pad * c.embeddingDim, (pad + 1) * c.embeddingDim);
        expect(Array.from(grad)).toEqual(new Array(c.embeddingDim).fill(0));
      }
    });
  }

  it('a second lookup accumulates into the weight gradient, the padding row still untouched', async () => {
    const c = cases[1];
    const emb = new wr.nn.Embedding(ctx, { numEmbeddings: c.numEmbeddings, embeddingDim: c.embeddingDim, paddingIdx: c.paddingIdx });
    emb.loadStateDict({ weight: Float32Array.from(c.weight) });
    const ids = ctx.tensor(Int32Array.from(c.ids), c.idsShape, 'int32');
    const a = emb.forward(ids);
    const b = emb.forward(ids);
    const dOut = ctx.tensor(c.dOutput, a.shape);
    wr.autograd.backward([a, b], [dOut, dOut]);
    expectClose(await emb.weight.grad!.read(), c.dWeight.map((v) => 2 * v), 1e-4, 0, 'twice the gradient');
  });
});

describe('nn.Embedding init and bad input', () => {
  it('draws N(0, 1) with the padding row zero (negative paddingIdx counts from the end)', async () => {
    const emb = new wr.nn.Embedding(ctx, { numEmbeddings: 200, embeddingDim: 50, paddingIdx: -1, seed: 3 });
    expect(emb.paddingIdx).toBe(199);
    const w = (await emb.weight.read()) as Float32Array;
    expect(Array.from(w.slice(199 * 50))).toEqual(new Array(50).fill(0));
    const body = w.slice(0, 199 * 50);
    const mean = body.reduce((a, v) => a + v, 0) / body.length;
    const variance = body.reduce((a, v) => a + (v - mean) ** 2, 0) / body.length;
    expect(Math.abs(mean)).toBeLessThan(0.05); // 5σ of the mean of 9950 draws is 0.05
    expect(Math.abs(variance - 1)).toBeLessThan(0.075);
  });

  it('0-d ids give one row; a scalar output shape is [embeddingDim]', async () => {
    const emb = new wr.nn.Embedding(ctx, { numEmbeddings: 4, embeddingDim: 3, seed: 1 });
    const w = (await emb.weight.read()) as Float32Array;
    const out = emb.forward(ctx.tensor(Int32Array.from([2]), [], 'int32'));
    expect([...out.shape]).toEqual([3]);
    expect(Array.from(await out.read())).toEqual(Array.from(w.slice(6, 9)));
  });

  it('rejects bad options and ids with a clear error, allocating nothing', () => {
    expect(() => new wr.nn.Embedding(ctx, { numEmbeddings: 0, embeddingDim: 3 })).toThrow(/Embedding: numEmbeddings must be a positive integer, got 0/);
    expect(() => new wr.nn.Embedding(ctx, { numEmbeddings: 4, embeddingDim: 2.5 })).toThrow(/embeddingDim must be a positive integer/);
    expect(() => new wr.nn.Embedding(ctx, { numEmbeddings: 4, embeddingDim: 3, paddingIdx: 4 })).toThrow(/paddingIdx must be an integer in \[-4, 4\) \(numEmbeddings 4\), got 4/);
    expect(() => new wr.nn.Embedding(ctx, { numEmbeddings: 4, embeddingDim: 3, paddingIdx: -5 })).toThrow(/got -5/);
    const emb = new wr.nn.Embedding(ctx, { numEmbeddings: 4, embeddingDim: 3 });
    const bad = ctx.tensor(Int32Array.from([0, 3, 4]), [3], 'int32');
    const negative = ctx.tensor(Int32Array.from([-1]), [1], 'int32');
    const floats = ctx.tensor([0, 1], [2]);
    const live = ctx.liveTensors;
    const dispatches = ctx.dispatchCount;
    expect(() => emb.forward(bad)).toThrow(/Embedding \(numEmbeddings 4\): token id 4 at position 2 is outside the vocabulary \[0, 4\)/);
    expect(() => emb.forward(negative)).toThrow(/token id -1 at position 0/);
    expect(() => emb.forward(floats)).toThrow(/Embedding: ids must be int32, got float32/);
    expect(ctx.liveTensors).toBe(live);
    expect(ctx.dispatchCount).toBe(dispatches);
  });
});
