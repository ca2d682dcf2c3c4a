// wr.seq2seq.Seq2Seq against PyTorch (test/fixtures/seq2seq.json, d2l 1.0's models with and without attention,
// 1-2 layers): logits and the gradient of every parameter of d2l's masked loss, at 1e-4.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { expectClose, testContext } from './helpers.js';
import { seq2seqCases, type Seq2SeqCase } from './nn-fixtures.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

/** d(masked mean cross entropy)/d logits, in float64 from PyTorch's logits: (softmax − onehot) / count, 0 at pad. */
function lossGradient(c: Seq2SeqCase): Float32Array {
  const V = c.config.tgtVocabSize;
  const count = c.target.filter((t) => t !== c.pad).length;
  const d = new Float32Array(c.logits.length);
  c.target.forEach((t, n) => {
    if (t === c.pad) return;
    const row = c.logits.slice(n * V, (n + 1) * V);
    const m = Math.max(...row);
    const z = row.reduce((a, v) => a + Math.exp(v - m), 0);
    row.forEach((v, k) => { d[n * V + k] = (Math.exp(v - m) / z - (k === t ? 1 : 0)) / count; });
  });
  return d;
}

function build(c: Seq2SeqCase): wr.seq2seq.Seq2Seq {
  const model = new wr.seq2seq.Seq2Seq(ctx, { ...c.config, seed: 1 });
  model.loadStateDict(c.stateDict, c.shapes);
  return model;
}

describe.each(seq2seqCases.map((c) => [c.name, c] as const))('Seq2Seq %s', (_, c) => {
  it('logits and every gradient match PyTorch', async () => {
    const model = build(c);
    const src = ctx.tensor(Int32Array.from(c.src), [c.B, c.S], 'int32');
    const decIn = ctx.tensor(Int32Array.from(c.decIn), [c.B, c.T], 'int32');
    const logits = model.forward(src, c.srcValidLens, decIn);
    expect(logits.shape).toEqual(c.logitsShape);
    expectClose(await logits.read(), c.logits, 1e-4, 1e-4, 'logits');
    logits.backward(ctx.tensor(lossGradient(c), logits.shape));
    for (const [name, p] of model.namedParameters()) {
      expect(p.grad, name).not.toBeNull();
      expectClose(await p.grad!.read(), c.grads[name], 1e-4, 1e-4, `d ${name}`);
    }
    await ctx.sync();
  });
});
