// train({ onStepLoss }): every step's loss is reported once, in order, before its epoch's record, and the epoch's
// perplexity is exp of their mean (the textbook's l_sum / n).
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

it('reports every step loss in order, consistent with the epoch perplexity', async () => {
  const { vocab, indices } = wr.data.charCorpus('the quick brown fox jumps over the lazy dog. '.repeat(12));
  const model = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 8, cell: 'gru', seed: 1 });
  const events: (wr.lm.StepRecord | wr.lm.EpochRecord)[] = [];
  const history = await wr.train(model, indices, {
    epochs: 2, numSteps: 6, batchSize: 3, lr: 0.05, optimizer: 'adam', seed: 2,
    onStepLoss: (r) => events.push(r),
    onEpoch: (r) => { events.push(r); },
  });
  const batches = wr.data.numBatches(indices.length, 3, 6, 'random');
  for (const [e, record] of history.entries()) {
    const epochEvents = events.slice(e * (batches + 1), (e + 1) * (batches + 1));
    const steps = epochEvents.slice(0, batches) as wr.lm.StepRecord[];
    expect(steps.map((s) => [s.epoch, s.step])).toEqual(Array.from({ length: batches }, (_, i) => [e + 1, i + 1]));
    expect(epochEvents[batches]).toBe(record);
    const mean = steps.reduce((a, s) => a + s.loss, 0) / batches;
    expect(Math.exp(mean)).toBeCloseTo(record.perplexity, 4);
    expect(steps.every((s) => Number.isFinite(s.loss) && s.loss > 0)).toBe(true);
  }
  model.dispose();
});
