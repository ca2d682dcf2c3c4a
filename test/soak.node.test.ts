// Soak: long training must not grow memory, and models made and thrown away must not leave buffers behind
// (issue 10). Tiny sizes, so that 2,000 steps fit in CI on SwiftShader (about 30 s); node project only
// (the .node name), since running it in the browser project too would only double that.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { testContext } from './helpers.js';

let base: wr.Context;
beforeAll(async () => { base = await testContext(); });
afterAll(() => base?.destroy());

const SIZES = { vocabSize: 8, hiddenSize: 4 } as const;
const BATCH = 2;
const STEPS = 3;

/** A corpus over 8 tokens whose consecutive sampling gives exactly `batches` batches per epoch. */
function corpus(batches: number): Int32Array {
  const length = BATCH * (STEPS * batches + 1);
  const indices = Int32Array.from({ length }, (_, i) => (i * 5 + (i >> 3)) % SIZES.vocabSize);
  expect(wr.data.numBatches(indices.length, BATCH, STEPS, 'consecutive')).toBe(batches);
  return indices;
}

describe('soak', () => {
  it('2,000 training steps keep memoryStats() flat after warm-up', async () => {
    // A context of its own on the same device, so that nothing else's tensors count.
    const ctx = await wr.init({ device: base.device });
    ctx.poisonUninitialized = true;
    const model = new wr.lm.CharRNN(ctx, { ...SIZES, cell: 'lstm', seed: 11 });
    const stats: wr.MemoryStats[] = [];
    const history = await wr.train(model, corpus(100), {
      epochs: 20, numSteps: STEPS, batchSize: BATCH, lr: 0.05, clipTheta: 1, optimizer: 'adam', sampling: 'consecutive',
      onEpoch: () => { stats.push(ctx.memoryStats()); },
    });
    expect(history).toHaveLength(20); // 20 epochs × 100 steps
    expect(history.every((r) => Number.isFinite(r.perplexity))).toBe(true);
    expect(history[19]!.perplexity).toBeLessThan(history[0]!.perplexity); // it did learn: the steps were real
    // Warm-up: the first epochs fill the pool and the uniform cache. From then on, every count is identical.
    const warm = stats[2]!;
    for (const [i, s] of stats.entries()) if (i > 2) expect(s, `after epoch ${i + 1}`).toEqual(warm);
    ctx.destroy();
  });

  it('a model created, trained one step and disposed 100 times leaves no buffer or tensor', async () => {
    const ctx = await wr.init({ device: base.device });
    ctx.poisonUninitialized = true;
    const indices = corpus(1);
    await ctx.sync();
    const before = ctx.memoryStats();
    const after: wr.MemoryStats[] = [];
    for (let i = 0; i < 100; i++) {
      const model = new wr.lm.CharRNN(ctx, { ...SIZES, cell: i % 3 === 0 ? 'rnn' : i % 3 === 1 ? 'gru' : 'lstm', seed: i });
      await wr.train(model, indices, { epochs: 1, numSteps: STEPS, batchSize: BATCH, lr: 0.1, optimizer: 'sgd', sampling: 'consecutive' });
      disposeModel(model);
      await ctx.sync();
      after.push(ctx.memoryStats());
    }
    const last = after[99]!;
    expect(last.liveBuffers).toBe(before.liveBuffers);
    expect(last.liveBytes).toBe(before.liveBytes);
    expect(last.liveTensors).toBe(before.liveTensors);
    // Freed buffers wait in the pool for reuse; they must not pile up with every model made.
    expect(last.pooledBuffers).toBe(after[2]!.pooledBuffers);
    expect(last.pooledBytes).toBe(after[2]!.pooledBytes);
    expect(last.uniformBuffers).toBe(after[2]!.uniformBuffers);
    ctx.destroy();
  });
});

/** Module has no dispose() yet: the parameters (and any gradients) are disposed directly. */
function disposeModel(model: wr.nn.Module): void {
  for (const p of model.parameters()) {
    p.grad?.dispose();
    p.grad = null;
    p.dispose();
  }
}
