// The PyTorch fixtures of API.md 9-13 load, have the shapes their layouts promise, and show the invariants the
// modules will be held to (zeros past lengths, no gradient on padding or ignored rows). The modules' own tests
// compare against them; this file checks the fixtures themselves, and that webrnn's G2P loader reproduces the
// vocabularies and batches torch_seq2seq.py trained on.
import { describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import {
  cellCases, embeddingCases, lossCases, nnLayerCases, optimCases, seq2seqCases, seq2seqTrain,
} from './nn-fixtures.js';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const finite = (xs: readonly number[], what: string) => expect(xs.every(Number.isFinite), `${what} finite`).toBe(true);
const GATES = { rnn: 1, gru: 3, lstm: 4 } as const;

describe('nn_cells.json', () => {
  it('has every cell with and without bias and state, over several steps', () => {
    expect(new Set(cellCases.map((c) => `${c.cell}/${c.bias}/${c.h0 !== null}`)).size).toBe(9);
    expect(cellCases.some((c) => c.nonlinearity === 'relu')).toBe(true);
  });
  for (const c of cellCases) {
    it(c.name, () => {
      const G = GATES[c.cell] * c.hiddenSize;
      expect(c.paramShapes.weight_ih).toEqual([G, c.inputSize]);
      expect(c.paramShapes.weight_hh).toEqual([G, c.hiddenSize]);
      expect(Object.keys(c.params).sort()).toEqual(c.bias ? ['bias_hh', 'bias_ih', 'weight_hh', 'weight_ih'] : ['weight_hh', 'weight_ih']);
      for (const [k, v] of Object.entries(c.params)) {
        expect(v.length, k).toBe(prod(c.paramShapes[k]!));
        expect(c.grads[k]!.length, `grad ${k}`).toBe(v.length);
        finite(c.grads[k]!, `grad ${k}`);
      }
      const state = c.B * c.hiddenSize;
      expect(c.xs.length).toBe(c.steps * c.B * c.inputSize);
      expect(c.dxs.length).toBe(c.xs.length);
      expect(c.hs.length).toBe(c.steps * state);
      expect(c.dHs.length).toBe(c.hs.length);
      expect(c.h0 === null).toBe(c.dh0 === null);
      if (c.h0) expect(c.h0.length).toBe(state);
      if (c.cell === 'lstm') {
        expect(c.cs!.length).toBe(c.steps * state);
        expect(c.dCLast!.length).toBe(state);
      } else {
        expect(c.cs).toBeNull();
      }
      if (c.nonlinearity === 'relu') expect(Math.min(...c.hs)).toBe(0);
      finite(c.hs, 'hs');
    });
  }
});

describe('nn_layers.json', () => {
  for (const c of nnLayerCases) {
    it(c.name, () => {
      const D = c.bidirectional ? 2 : 1;
      const Hout = c.projSize || c.hiddenSize;
      const names = Object.keys(c.params);
      expect(names.some((n) => n.startsWith('weight_hr_l'))).toBe(c.projSize > 0);
      if (c.projSize) expect(c.paramShapes.weight_hr_l0).toEqual([c.projSize, c.hiddenSize]);
      if (c.projSize && c.bidirectional) expect(names).toContain(`weight_hr_l${c.numLayers - 1}_reverse`);
      for (const n of names) expect(c.grads[n]!.length, n).toBe(prod(c.paramShapes[n]!));
      expect(c.outputShape).toEqual(c.batchFirst ? [c.B, c.T, D * Hout] : [c.T, c.B, D * Hout]);
      expect(c.hNShape).toEqual([D * c.numLayers, c.B, Hout]);
      expect(c.h0Shape).toEqual(c.hNShape);
      expect(c.hN.length).toBe(prod(c.hNShape));
      if (c.cell === 'lstm') expect(c.cNShape).toEqual([D * c.numLayers, c.B, c.hiddenSize]);
      expect(c.output.length).toBe(prod(c.outputShape));
      expect(c.x.length).toBe(prod(c.xShape));
      if (c.lengths) {
        expect(c.lengths).toHaveLength(c.B);
        const F = D * Hout;
        const inF = c.inputSize;
        for (let b = 0; b < c.B; b++) {
          for (let t = 0; t < c.T; t++) {
            const at = (c.batchFirst ? b * c.T + t : t * c.B + b);
            const out = c.output.slice(at * F, (at + 1) * F);
            if (t >= c.lengths[b]!) {
              // PyTorch's pad_packed_sequence: zeros past each row's length, and no gradient reaches those inputs
              expect(out.every((v) => v === 0), `output zero at b ${b} t ${t}`).toBe(true);
              if (c.dx) expect(c.dx.slice(at * inF, (at + 1) * inF).every((v) => v === 0), `dx zero at b ${b} t ${t}`).toBe(true);
            } else {
              expect(out.some((v) => v !== 0), `output at b ${b} t ${t}`).toBe(true);
            }
          }
        }
      }
      finite(c.output, 'output');
    });
  }
  it('lengths cover uni- and bidirectional, 2 layers, batchFirst and ids for every cell', () => {
    for (const cell of ['rnn', 'gru', 'lstm'] as const) {
      const withLengths = nnLayerCases.filter((c) => c.cell === cell && c.lengths);
      expect(withLengths.some((c) => !c.bidirectional)).toBe(true);
      expect(withLengths.some((c) => c.bidirectional && c.numLayers === 2)).toBe(true);
      expect(withLengths.some((c) => c.batchFirst)).toBe(true);
      expect(withLengths.some((c) => c.tokenIds)).toBe(true);
      expect(withLengths.some((c) => Math.max(...c.lengths!) < c.T)).toBe(true);
      expect(withLengths.every((c) => c.lengths!.some((n, i) => i > 0 && n > c.lengths![i - 1]!))).toBe(true); // unsorted
    }
  });
});

describe('nn_embedding.json', () => {
  for (const c of embeddingCases) {
    it(c.name, () => {
      const E = c.embeddingDim;
      expect(c.outputShape).toEqual([...c.idsShape, E]);
      c.ids.forEach((id, i) => expect(c.output.slice(i * E, (i + 1) * E)).toEqual(c.weight.slice(id * E, (id + 1) * E)));
      expect(c.dWeight.length).toBe(c.numEmbeddings * E);
      if (c.paddingIdx !== null) {
        const row = (xs: number[]) => xs.slice(c.paddingIdx! * E, (c.paddingIdx! + 1) * E);
        expect(c.ids).toContain(c.paddingIdx);
        expect(row(c.weight).every((v) => v === 0)).toBe(true);
        expect(row(c.dWeight).every((v) => v === 0)).toBe(true);
      }
    });
  }
});

describe('nn_losses.json', () => {
  it('covers every reduction of every loss and the options', () => {
    for (const kind of ['crossEntropy', 'mseLoss', 'l1Loss', 'binaryCrossEntropyWithLogits'] as const) {
      expect(new Set(lossCases.filter((c) => c.kind === kind).map((c) => c.reduction))).toEqual(new Set(['mean', 'sum', 'none']));
    }
    const ce = lossCases.filter((c) => c.kind === 'crossEntropy');
    expect(ce.some((c) => c.ignoreIndex === -100 && c.targets!.includes(-100))).toBe(true);
    expect(ce.some((c) => c.labelSmoothing! > 0 && c.ignoreIndex !== -100)).toBe(true);
    expect(lossCases.some((c) => c.kind === 'binaryCrossEntropyWithLogits' && c.posWeight)).toBe(true);
    expect(lossCases.some((c) => c.kind === 'softmax') && lossCases.some((c) => c.kind === 'logSoftmax')).toBe(true);
  });
  for (const c of lossCases) {
    it(c.name, () => {
      expect(c.loss.length).toBe(prod(c.lossShape));
      expect(c.dLoss.length).toBe(c.loss.length);
      finite(c.loss, 'loss');
      if (c.kind === 'crossEntropy') {
        expect(c.logitsShape).toEqual([c.N, c.C]);
        expect(c.lossShape).toEqual(c.reduction === 'none' ? [c.N] : []);
        c.targets!.forEach((t, n) => {
          if (t !== c.ignoreIndex) return;
          expect(c.dLogits!.slice(n * c.C!, (n + 1) * c.C!).every((v) => v === 0), `ignored row ${n}`).toBe(true);
          if (c.reduction === 'none') expect(c.loss[n]).toBe(0);
        });
        finite(c.dLogits!, 'dLogits');
      } else {
        expect(c.dInput!.length).toBe(c.input!.length);
        expect(c.lossShape).toEqual(c.reduction === 'none' || c.reduction === undefined ? c.inputShape : []);
        finite(c.dInput!, 'dInput');
      }
      if (c.kind === 'softmax') {
        const C = c.inputShape!.at(-1)!;
        for (let r = 0; r < c.loss.length / C; r++) {
          expect(c.loss.slice(r * C, (r + 1) * C).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
        }
      }
    });
  }
});

describe('nn_optim.json', () => {
  for (const c of optimCases) {
    it(c.name, () => {
      expect(c.params0.map((p) => p.length)).toEqual(c.shapes.map(prod));
      expect(c.gradsPerStep).toHaveLength(c.steps);
      expect(c.paramsAfter).toHaveLength(c.steps);
      expect(c.lrPerStep).toHaveLength(c.steps);
      for (let i = 0; i + 1 < c.steps; i++) {
        if (!c.manualLr) expect(c.lrAfterStep[i]).toBe(c.lrPerStep[i + 1]);
      }
      if (c.clipValue !== null) {
        const clipped = c.clippedGradsPerStep!.flat(2);
        expect(Math.max(...clipped.map(Math.abs))).toBeLessThanOrEqual(Math.fround(c.clipValue)); // float32 bound
        expect(c.gradsPerStep.flat(2).some((g) => Math.abs(g) > c.clipValue!)).toBe(true); // clipping happened
      }
      if (c.manualLr) expect(c.lrPerStep).toContain(0);
      // a step with lr 0 leaves every parameter where it was (AdamW's decay is lr-scaled too)
      c.lrPerStep.forEach((lr, i) => {
        if (lr === 0) expect(c.paramsAfter[i]).toEqual(i === 0 ? c.params0 : c.paramsAfter[i - 1]);
      });
    });
  }
});

const S2S_NAMES = ['encoder.embedding.weight', 'decoder.embedding.weight', 'decoder.dense.weight', 'decoder.dense.bias'];
const ATTENTION_NAMES = ['decoder.attention.W_q.weight', 'decoder.attention.W_k.weight', 'decoder.attention.w_v.weight'];

describe('seq2seq.json', () => {
  for (const c of seq2seqCases) {
    it(c.name, () => {
      const { config: k } = c;
      const names = Object.keys(c.stateDict);
      const rnn = (part: string) => Array.from({ length: k.numLayers }, (_, l) =>
        ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((w) => `${part}.rnn.${w}_l${l}`)).flat();
      expect(names.sort()).toEqual([...S2S_NAMES, ...(k.attention ? ATTENTION_NAMES : []), ...rnn('encoder'), ...rnn('decoder')].sort());
      expect(Object.keys(c.grads).sort()).toEqual(names);
      for (const n of names) expect(c.grads[n]!.length, n).toBe(prod(c.shapes[n]!));
      expect(c.shapes['decoder.rnn.weight_ih_l0']).toEqual([3 * k.hiddenSize, k.embedSize + k.hiddenSize]);
      expect(c.logitsShape).toEqual([c.B, c.T, k.tgtVocabSize]);
      expect(c.src.length).toBe(c.B * c.S);
      expect(c.decIn.length).toBe(c.B * c.T);
      for (let b = 0; b < c.B; b++) {
        expect(c.src[b * c.S + c.srcValidLens[b]! - 1]).toBe(c.eos);
        expect(c.decIn[b * c.T]).toBe(c.bos);
        for (let t = 1; t < c.T; t++) expect(c.decIn[b * c.T + t]).toBe(c.target[b * c.T + t - 1]);
      }
      expect(c.loss).toBeGreaterThan(0);
      finite(c.logits, 'logits');
    });
  }
});

describe('seq2seq_train.json', () => {
  it('webrnn\'s G2P loader rebuilds the vocabularies and every batch torch_seq2seq.py trained on', () => {
    const t = seq2seqTrain;
    const entries = wr.data.parseG2PTsv(t.tsv);
    const vocabs = wr.data.g2pVocabs(entries);
    expect(vocabs.graphemes.idxToToken).toEqual(t.graphemes);
    expect(vocabs.phonemes.idxToToken).toEqual(t.phonemes);
    const perEpoch = wr.data.g2pBatches(entries, vocabs, { batchSize: t.batchSize, seed: t.seed }).length;
    t.batches.forEach((expected, step) => {
      const epoch = Math.floor(step / perEpoch);
      const b = wr.data.g2pBatches(entries, vocabs, { batchSize: t.batchSize, seed: t.seed + epoch })[step % perEpoch]!;
      expect([b.B, b.S, b.T], `step ${step}`).toEqual([expected.B, expected.S, expected.T]);
      expect(b.words, `step ${step}`).toEqual(expected.words);
      expect([...b.src], `step ${step} src`).toEqual(expected.src);
      expect([...b.srcValidLens], `step ${step} lens`).toEqual(expected.srcValidLens);
      expect([...b.decIn], `step ${step} decIn`).toEqual(expected.decIn);
      expect([...b.target], `step ${step} target`).toEqual(expected.target);
    });
  });

  it('has 50 finite, falling losses per run', () => {
    for (const run of seq2seqTrain.runs) {
      expect(run.losses).toHaveLength(seq2seqTrain.steps);
      finite(run.losses, run.name);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(mean(run.losses.slice(-10))).toBeLessThan(mean(run.losses.slice(0, 10)));
    }
    expect(seq2seqTrain.runs.map((r) => r.config.attention)).toEqual([false, true]);
  });
});
