// Node only: weight files PyTorch wrote load into wr.seq2seq.Seq2Seq unchanged and give PyTorch's logits: d2l's own
// spelling (encoder.rnn.rnn.*, seq2seq_d2l.safetensors) and torch_seq2seq.py's --save-init file (webrnn names).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { expectClose, testContext } from './helpers.js';
import { seq2seqCases, seq2seqTrain } from './nn-fixtures.js';
import { seq2seqForward } from './seq2seq-reference.js';

const read = (name: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))));

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

describe('Seq2Seq loads PyTorch files', () => {
  it("a d2l state dict (encoder.rnn.rnn.*) gives PyTorch's logits", async () => {
    const { tensors, shapes } = wr.io.loadSafetensors(read('seq2seq_d2l.safetensors'));
    const c = seq2seqCases.find((k) => k.name === 'seq2seq_attention_L2')!;
    const model = new wr.seq2seq.Seq2Seq(ctx, c.config);
    model.loadStateDict(tensors, shapes);
    const logits = model.forward(ctx.tensor(Int32Array.from(c.src), [c.B, c.S], 'int32'), c.srcValidLens,
      ctx.tensor(Int32Array.from(c.decIn), [c.B, c.T], 'int32'));
    expectClose(await logits.read(), c.logits, 1e-4, 1e-4, 'logits');
  });

  it('torch_seq2seq.py --save-init weights give the float64 reference logits on a training batch', async () => {
    const { tensors, shapes, metadata } = wr.io.loadSafetensors(read('seq2seq_torch_init.safetensors'));
    const config = JSON.parse(metadata.config!);
    const model = new wr.seq2seq.Seq2Seq(ctx, config);
    model.loadStateDict(tensors, shapes);
    const b = seq2seqTrain.batches[3];
    const logits = model.forward(ctx.tensor(Int32Array.from(b.src), [b.B, b.S], 'int32'), b.srcValidLens,
      ctx.tensor(Int32Array.from(b.decIn), [b.B, b.T], 'int32'));
    const expected = seq2seqForward(wr.seq2seq.resolveSeq2SeqOptions(config), tensors, b.src, b.srcValidLens, b.decIn, b.B, b.S, b.T);
    expectClose(await logits.read(), expected, 1e-4, 1e-4, 'logits');
  });

  it('a state dict that does not fit names the problem and changes nothing', async () => {
    const c = seq2seqCases.find((k) => k.name === 'seq2seq_attention_L1')!;
    const model = new wr.seq2seq.Seq2Seq(ctx, c.config);
    model.loadStateDict(c.stateDict, c.shapes);
    const before = await model.stateDict();
    const { 'decoder.attention.w_v.weight': _, ...missing } = c.stateDict;
    expect(() => model.loadStateDict(missing)).toThrow(/missing: decoder.attention.w_v.weight/);
    expect(() => model.loadStateDict({ ...c.stateDict, 'decoder.dense.bias': [1, 2] })).toThrow(/decoder.dense.bias has 2 values/);
    expect(await model.stateDict()).toEqual(before);
  });
});
