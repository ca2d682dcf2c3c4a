// Node only: a small Seq2Seq trained on a few thousand CMUdict words (every 20th line of the g014b2b training split)
// learns the task: on held-out words its PER beats a trivial baseline (each word as its letter count of the most
// frequent phoneme) by a wide margin. Measured on SwiftShader: see the assertion's numbers in the output.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { testContext } from './helpers.js';
import { findDataDir } from './shared-data.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); ctx.poisonUninitialized = false; });
afterAll(() => ctx?.destroy());

describe('G2P on CMUdict', () => {
  it('a small model beats the trivial baseline on held-out words', async () => {
    const lines = readFileSync(join(findDataDir(), 'cmudict-g014b2b/train.tsv'), 'utf8').split('\n').filter((_, i) => i % 20 === 0);
    const entries = wr.data.parseG2PTsv(lines.slice(0, 1700).join('\n'));
    const vocabs = wr.data.g2pVocabs(entries);
    const { train, valid } = wr.data.splitByWord(entries, { numValid: 200, seed: 0 });

    // Baseline: the most frequent training phoneme, as many times as the word has letters.
    const counts = new Map<string, number>();
    for (const e of train) for (const p of e.phonemes) counts.set(p, (counts.get(p) ?? 0) + 1);
    const top = [...counts].sort((a, b) => b[1] - a[1])[0][0];
    const refs = wr.data.g2pReferences(valid);
    const baseline = wr.metrics.errorRates([...refs.keys()].map((w) => Array(w.length).fill(top)), [...refs.values()]);

    const model = new wr.seq2seq.Seq2Seq(ctx, {
      srcVocabSize: vocabs.graphemes.size, tgtVocabSize: vocabs.phonemes.size, embedSize: 32, hiddenSize: 64, seed: 0,
    });
    const opt = new wr.optim.Adam(model.parameters(), { lr: 0.02 });
    const epochs = 2;
    const started = Date.now();
    for (let epoch = 0; epoch < epochs; epoch++) {
      const losses = wr.data.g2pBatches(train, vocabs, { batchSize: 32, seed: epoch })
        .map((b) => wr.seq2seq.seq2seqStep(model, opt, b, { pad: wr.data.G2P_IDS.pad, clip: 1 }));
      for (const l of losses) l.dispose();
      await ctx.sync();
    }
    const r = await wr.seq2seq.evaluateG2P(model, valid, vocabs);
    console.log(`G2P: ${train.length} training words, ${epochs} epochs in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
      `validation (${r.words} words) PER ${(100 * r.per).toFixed(1)}% WER ${(100 * r.wer).toFixed(1)}%; ` +
      `baseline PER ${(100 * baseline.per).toFixed(1)}% WER ${(100 * baseline.wer).toFixed(1)}%`);
    expect(r.words).toBe(200);
    expect(r.per).toBeLessThan(baseline.per - 0.3);
  }, 300_000);
});
