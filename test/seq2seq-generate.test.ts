// Seq2Seq.generate on the GPU against a float64 CPU beam search over the reference model (test/seq2seq-reference.ts)
// with the same rules: scores are summed log-probabilities, a live beam offers every token, a done beam itself once,
// the K best candidates win (ties: the lower beam·V + token), a beam ends at eos or after maxLen tokens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { testContext } from './helpers.js';
import { seq2seqCases, type Seq2SeqCase } from './nn-fixtures.js';
import { seq2seqForward } from './seq2seq-reference.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

const BOS = 1, EOS = 2;

/** Log-probabilities of the next token of row b after bos + prefix. */
function nextLogProbs(c: Seq2SeqCase, w: Record<string, number[]>, b: number, prefix: number[]): number[] {
  const V = c.config.tgtVocabSize;
  const decIn = [BOS, ...prefix];
  const logits = seq2seqForward(wr.seq2seq.resolveSeq2SeqOptions(c.config), w, c.src.slice(b * c.S, (b + 1) * c.S), [c.srcValidLens[b]], decIn, 1, c.S, decIn.length);
  const last = Array.from(logits.slice((decIn.length - 1) * V));
  const m = Math.max(...last);
  const lse = m + Math.log(last.reduce((a, v) => a + Math.exp(v - m), 0));
  return last.map((v) => v - lse);
}

function cpuBeamSearch(c: Seq2SeqCase, w: Record<string, number[]>, b: number, K: number, maxLen: number) {
  const V = c.config.tgtVocabSize;
  let beams = Array.from({ length: K }, (_, k) => ({ tokens: [] as number[], score: k === 0 ? 0 : -1e30, done: false }));
  for (let step = 0; step < maxLen; step++) {
    const cands: { score: number; index: number; k: number; v: number }[] = [];
    beams.forEach((beam, k) => {
      if (beam.done) { cands.push({ score: beam.score, index: k * V, k, v: -1 }); return; }
      nextLogProbs(c, w, b, beam.tokens).forEach((lp, v) => cands.push({ score: beam.score + lp, index: k * V + v, k, v }));
    });
    cands.sort((x, y) => y.score - x.score || x.index - y.index);
    beams = cands.slice(0, K).map(({ score, k, v }) => {
      const parent = beams[k];
      if (parent.done) return { ...parent };
      return { tokens: v === EOS ? parent.tokens : [...parent.tokens, v], score, done: v === EOS || step === maxLen - 1 };
    });
  }
  return beams[0];
}

/** The fixture's weights, with eos made likelier so that some rows end before maxLen. */
function weights(c: Seq2SeqCase): Record<string, number[]> {
  const w = { ...c.stateDict, 'decoder.dense.bias': [...c.stateDict['decoder.dense.bias']] };
  w['decoder.dense.bias'][EOS] += 1.2;
  return w;
}

describe.each(['seq2seq_L2', 'seq2seq_attention_L2'].map((n) => [n, seq2seqCases.find((c) => c.name === n)!] as const))('generate %s', (_, c) => {
  const maxLen = 5;
  it('greedy and beam search (3 beams) match the CPU beam search; beam 1 is greedy', async () => {
    const w = weights(c);
    const model = new wr.seq2seq.Seq2Seq(ctx, c.config);
    model.loadStateDict(w);
    const src = ctx.tensor(Int32Array.from(c.src), [c.B, c.S], 'int32');
    const before = ctx.submitCount;
    const greedy = await model.generateWithScores(src, c.srcValidLens, { bos: BOS, eos: EOS, maxLen });
    const beam = await model.generateWithScores(src, c.srcValidLens, { bos: BOS, eos: EOS, maxLen, beamSize: 3 });
    expect(ctx.submitCount - before).toBeLessThanOrEqual(2); // one submission (and read-back) per call
    let ended = 0;
    for (let b = 0; b < c.B; b++) {
      for (const [K, got] of [[1, greedy], [3, beam]] as const) {
        const want = cpuBeamSearch(c, w, b, K, maxLen);
        expect(Array.from(got.tokens[b]), `row ${b} beam ${K}`).toEqual(want.tokens);
        expect(got.scores[b]).toBeCloseTo(want.score, 4);
        if (want.tokens.length < maxLen) ended++;
      }
      // greedy = argmax at every step
      const g = [] as number[];
      for (let s = 0; s < maxLen; s++) {
        const lp = nextLogProbs(c, w, b, g);
        const v = lp.indexOf(Math.max(...lp));
        if (v === EOS) break;
        g.push(v);
      }
      expect(Array.from(greedy.tokens[b]), `row ${b} greedy`).toEqual(g);
    }
    expect(ended, 'some rows end at eos before maxLen').toBeGreaterThan(0);
    expect(await model.generate(src, c.srcValidLens, { bos: BOS, eos: EOS, maxLen, beamSize: 1 })).toEqual(greedy.tokens);
  });

  it('bad options name the problem', async () => {
    const model = new wr.seq2seq.Seq2Seq(ctx, c.config);
    const src = ctx.tensor(Int32Array.from(c.src), [c.B, c.S], 'int32');
    await expect(model.generate(src, c.srcValidLens, { bos: BOS, eos: 99, maxLen: 3 })).rejects.toThrow(/eos must be a token id in \[0, 13\), got 99/);
    await expect(model.generate(src, c.srcValidLens, { bos: BOS, eos: EOS, maxLen: 0 })).rejects.toThrow(/maxLen must be a positive integer/);
    await expect(model.generate(src, c.srcValidLens, { bos: BOS, eos: EOS, maxLen: 3, beamSize: 65 })).rejects.toThrow(/beamSize must be an integer in 1..64/);
    await expect(model.generate(src, [1, 2], { bos: BOS, eos: EOS, maxLen: 3 })).rejects.toThrow(/srcValidLens must have one length per row \(9\)/);
    await expect(model.generate(src, c.srcValidLens.map(() => 7), { bos: BOS, eos: EOS, maxLen: 3 })).rejects.toThrow(/srcValidLens\[0\] = 7 is outside 1..6/);
  });
});
