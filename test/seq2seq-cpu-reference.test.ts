// seq2seq's CPU side: option checks, parameter names and shapes, the d2l-spelling mapping, and the float64 CPU
// reference of d2l's Seq2Seq against PyTorch (test/fixtures/seq2seq.json): logits, loss, and finite differences of
// the loss against PyTorch's gradient of every parameter tensor.
import { describe, expect, it } from 'vitest';
import {
  canonicalSeq2SeqName, canonicalSeq2SeqStateDict, resolveSeq2SeqOptions, seq2seqParameterShapes,
} from '../src/seq2seq/config.js';
import { expectClose, numericGrad } from './helpers.js';
import { seq2seqCases, seq2seqTrain } from './nn-fixtures.js';
import { maskedCrossEntropy, seq2seqForward } from './seq2seq-reference.js';

describe('seq2seq options and names', () => {
  it('defaults and validation', () => {
    const base = { srcVocabSize: 5, tgtVocabSize: 6, embedSize: 3, hiddenSize: 4 };
    expect(resolveSeq2SeqOptions(base)).toEqual({ ...base, numLayers: 1, dropout: 0, attention: false });
    expect(() => resolveSeq2SeqOptions({ ...base, hiddenSize: 0 })).toThrow(/hiddenSize must be a positive integer, got 0/);
    expect(() => resolveSeq2SeqOptions({ ...base, numLayers: 1.5 })).toThrow(/numLayers must be a positive integer/);
    expect(() => resolveSeq2SeqOptions({ ...base, dropout: 1 })).toThrow(/dropout must be in \[0, 1\), got 1/);
    expect(() => resolveSeq2SeqOptions({ ...base, attention: 'yes' as never })).toThrow(/attention must be a boolean/);
  });

  it("the names and shapes are PyTorch's for every fixture model", () => {
    for (const c of seq2seqCases) {
      const shapes = seq2seqParameterShapes(resolveSeq2SeqOptions(c.config));
      expect(Object.fromEntries(shapes)).toEqual(c.shapes);
    }
  });

  it("maps d2l's wrapped-GRU spelling to webrnn's", () => {
    expect(canonicalSeq2SeqName('encoder.rnn.rnn.weight_ih_l0')).toBe('encoder.rnn.weight_ih_l0');
    expect(canonicalSeq2SeqName('decoder.rnn.rnn.bias_hh_l1')).toBe('decoder.rnn.bias_hh_l1');
    expect(canonicalSeq2SeqName('decoder.rnn.weight_hh_l0')).toBe('decoder.rnn.weight_hh_l0');
    expect(canonicalSeq2SeqName('decoder.dense.weight')).toBe('decoder.dense.weight');
    expect(canonicalSeq2SeqStateDict({ 'encoder.rnn.rnn.bias_ih_l0': 1, 'decoder.dense.bias': 2 }))
      .toEqual({ 'encoder.rnn.bias_ih_l0': 1, 'decoder.dense.bias': 2 });
    expect(() => canonicalSeq2SeqStateDict({ 'encoder.rnn.rnn.bias_ih_l0': 1, 'encoder.rnn.bias_ih_l0': 2 }))
      .toThrow(/"encoder.rnn.bias_ih_l0" and "encoder.rnn.rnn.bias_ih_l0" are the same parameter/);
  });
});

describe('CPU reference of d2l Seq2Seq matches PyTorch', () => {
  for (const c of seq2seqCases) {
    it(c.name, () => {
      const cfg = resolveSeq2SeqOptions(c.config);
      const V = cfg.tgtVocabSize;
      const loss = (w: Record<string, ArrayLike<number>>) =>
        maskedCrossEntropy(seq2seqForward(cfg, w, c.src, c.srcValidLens, c.decIn, c.B, c.S, c.T), c.target, V, c.pad);
      const logits = seq2seqForward(cfg, c.stateDict, c.src, c.srcValidLens, c.decIn, c.B, c.S, c.T);
      expectClose(logits, c.logits, 1e-5, 1e-5, `${c.name} logits`);
      expect(loss(c.stateDict)).toBeCloseTo(c.loss, 5);
      // finite differences at 3 entries of every parameter tensor (spread over the tensor)
      for (const [name, value] of Object.entries(c.stateDict)) {
        const picks = [0, Math.floor(value.length / 2), value.length - 1];
        const sub = picks.map((i) => value[i]!);
        const g = numericGrad((x) => {
          const v = Float64Array.from(value);
          picks.forEach((i, k) => { v[i] = x[k]!; });
          return loss({ ...c.stateDict, [name]: v });
        }, sub);
        expectClose(g, picks.map((i) => c.grads[name]![i]!), 1e-5, 1e-3, `${c.name} d${name}`);
      }
    });
  }
});

describe('CPU reference on the training fixture', () => {
  it("reproduces each run's first loss (initial weights, first batch)", () => {
    const b = seq2seqTrain.batches[0]!;
    for (const run of seq2seqTrain.runs) {
      const cfg = resolveSeq2SeqOptions(run.config);
      const logits = seq2seqForward(cfg, run.init, b.src, b.srcValidLens, b.decIn, b.B, b.S, b.T);
      expect(maskedCrossEntropy(logits, b.target, cfg.tgtVocabSize, 0)).toBeCloseTo(run.losses[0]!, 5);
    }
  });
});
