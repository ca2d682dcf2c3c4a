// 50 teacher-forced training steps (Adam, d2l's gradient clipping, cross entropy ignoring pad) from PyTorch's
// initial weights on the same batches: every step's loss agrees with PyTorch's (test/fixtures/seq2seq_train.json)
// to 1e-4 relative, with and without attention.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { testContext } from './helpers.js';
import { seq2seqTrain } from './nn-fixtures.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

describe.each(seq2seqTrain.runs.map((r) => [r.name, r] as const))('Seq2Seq training %s', (_, run) => {
  it('the per-step losses match PyTorch to 1e-4 relative', async () => {
    const model = new wr.seq2seq.Seq2Seq(ctx, { ...run.config, seed: 3 });
    model.loadStateDict(run.init, run.shapes);
    const opt = new wr.optim.Adam(model.parameters(), { lr: seq2seqTrain.lr });
    const losses: wr.Tensor[] = [];
    for (const b of seq2seqTrain.batches.slice(0, seq2seqTrain.steps)) {
      const batch = { ...b, src: Int32Array.from(b.src), decIn: Int32Array.from(b.decIn), target: Int32Array.from(b.target) };
      losses.push(wr.seq2seq.seq2seqStep(model, opt, batch, { pad: wr.data.G2P_IDS.pad, clip: seq2seqTrain.clip }));
    }
    const got = await Promise.all(losses.map(async (l) => (await l.read())[0]));
    expect(got).toHaveLength(run.losses.length);
    got.forEach((v, i) => expect(Math.abs(v - run.losses[i]) / Math.abs(run.losses[i]), `step ${i}: ${v} vs ${run.losses[i]}`).toBeLessThan(1e-4));
  });
});
