// Convergence on the textbook corpus at a CI-sized configuration: a GRU with 32 hidden units on the first
// 2000 characters of the Jay Chou lyrics must bring perplexity below 0.4 × the vocabulary size.
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { testContext } from './helpers.js';
import { readCorpus } from './shared-data.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

it('GRU hidden 32 on 2000 characters of Jay Chou falls below 0.4 × vocabulary in perplexity', async () => {
  const { vocab, indices } = wr.data.charCorpus(readCorpus('jaychou_lyrics.txt'), { maxChars: 2000 });
  const model = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 32, cell: 'gru', seed: 1 });
  const history = await wr.train(model, indices, {
    epochs: 5, numSteps: 35, batchSize: 8, lr: 1e-2, clipTheta: 1e-2, optimizer: 'adam', sampling: 'random', seed: 1,
  });
  const last = history[history.length - 1].perplexity;
  expect(history[0].perplexity).toBeGreaterThan(last);
  expect(last).toBeLessThan(0.4 * vocab.size);
  const text = await model.predict('分开', 10, vocab);
  expect(Array.from(text)).toHaveLength(12);
});
