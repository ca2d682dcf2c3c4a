// The textbook's language model: CharRNN against PyTorch (logits, loss, every gradient), GPU generation
// against the textbook's CPU loop, and training that actually lowers perplexity.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import charrnn from './fixtures/charrnn.json';
import { expectClose } from './helpers.js';
import { testContext } from './helpers.js';

interface CharRNNCase {
  cell: 'rnn' | 'gru' | 'lstm'; V: number; H: number; B: number; T: number;
  stateDict: Record<string, number[]>; shapes: Record<string, number[]>;
  X: number[]; Y: number[]; logits: number[]; loss: number; grads: Record<string, number[]>;
}

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

const record = (d: Record<string, number[]>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Float32Array.from(v)]));

describe('CharRNN matches the textbook model in PyTorch', () => {
  for (const c of (charrnn as { cases: CharRNNCase[] }).cases) {
    it(`${c.cell}: logits, loss and gradients`, async () => {
      const model = new wr.lm.CharRNN(ctx, { vocabSize: c.V, hiddenSize: c.H, cell: c.cell });
      expect([...model.namedParameters().keys()].sort()).toEqual(Object.keys(c.stateDict).sort());
      model.loadStateDict(record(c.stateDict));
      const X = ctx.tensor(Int32Array.from(c.X), [c.B, c.T], 'int32');
      // The textbook's targets: Y.T.flatten(), rows time-major like the logits.
      const y = new Int32Array(c.T * c.B);
      for (let b = 0; b < c.B; b++) for (let t = 0; t < c.T; t++) y[t * c.B + b] = c.Y[b * c.T + t];
      const [logits] = model.forward(X);
      expect([...logits.shape]).toEqual([c.T * c.B, c.V]);
      expectClose(await logits.read(), c.logits, 1e-4, 0, 'logits');
      const loss = wr.nn.functional.crossEntropy(logits, ctx.tensor(y, [c.T * c.B], 'int32'));
      expectClose(await loss.read(), [c.loss], 1e-5, 1e-5, 'loss');
      loss.backward();
      for (const [name, p] of model.namedParameters()) expectClose(await p.grad!.read(), c.grads[name], 1e-4, 0, `grad ${name}`);
    });
  }
});

describe('generation', () => {
  const text = 'the time machine by h g wells the time traveller for so it will be convenient to speak of him ';
  const { vocab, indices } = wr.data.charCorpus(text);

  it('greedy predict on the GPU equals the textbook loop with a CPU argmax per character', async () => {
    const model = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 16, cell: 'gru', seed: 3 });
    await wr.train(model, indices, { epochs: 5, numSteps: 8, batchSize: 2, lr: 1e-2, optimizer: 'adam', clipTheta: 1, seed: 1 });
    const prefix = 'the ';
    const gpu = await model.predict(prefix, 12, vocab);
    // The textbook's predict_rnn: one character at a time, argmax read back to the CPU each step.
    const out = Array.from(vocab.encode(prefix));
    let state: wr.lm.RNNState | null = null;
    for (let t = 0; t < prefix.length - 1 + 12; t++) {
      const x = ctx.tensor(Int32Array.of(out[t]), [1, 1], 'int32');
      const [logits, s]: [wr.Tensor, wr.lm.RNNState] = wr.noGrad(() => model.forward(x, state));
      state = s;
      if (t >= prefix.length - 1) {
        const row = (await logits.read()) as Float32Array;
        let best = 0;
        for (let v = 1; v < row.length; v++) if (row[v] > row[best]) best = v;
        out.push(best);
      }
    }
    expect(gpu).toBe(vocab.decode(out));
    expect(gpu.startsWith(prefix)).toBe(true);
    expect(Array.from(gpu).length).toBe(prefix.length + 12);
  });

  it('sampling with a temperature is reproducible by seed and stays in the vocabulary', async () => {
    const model = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 8, cell: 'lstm', seed: 5 });
    const a = await model.predict('ti', 20, vocab, { temperature: 1, seed: 42 });
    const b = await model.predict('ti', 20, vocab, { temperature: 1, seed: 42 });
    expect(a).toBe(b);
    expect(a.length).toBe(22);
    for (const ch of a) expect(vocab.tokenToIdx.has(ch)).toBe(true);
    // A tiny temperature is greedy.
    expect(await model.predict('ti', 10, vocab, { temperature: 1e-4, seed: 1 })).toBe(await model.predict('ti', 10, vocab));
  });

  it('says so when the weights are no longer finite', async () => {
    const model = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 4, cell: 'gru', seed: 1 });
    const broken = Object.fromEntries(Object.entries(await model.stateDict()).map(([k, v]) => [k, v.map(() => NaN)]));
    model.loadStateDict(broken);
    await expect(model.predict('the', 5, vocab)).rejects.toThrow(/NaN logits/);
  });

  it('names prefix characters outside the vocabulary', async () => {
    const model = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 4, cell: 'rnn', seed: 1 });
    await expect(model.predict('thé Q', 5, vocab)).rejects.toThrow(/"é".*"Q"|"Q".*"é"/);
  });
});

describe('training', () => {
  it('lowers perplexity with consecutive or sequential sampling and SGD, and with random sampling and Adam', async () => {
    const text = 'abcdefgh'.repeat(40);
    const { vocab, indices } = wr.data.charCorpus(text);
    for (const [sampling, optimizer, lr] of [['consecutive', 'sgd', 1], ['sequential', 'sgd', 1], ['random', 'adam', 0.05]] as const) {
      const model = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 16, cell: 'rnn', seed: 7 });
      const history = await wr.train(model, indices, { epochs: 12, numSteps: 8, batchSize: 4, lr, clipTheta: 1, optimizer, sampling, seed: 2 });
      expect(history.length).toBe(12);
      expect(history[0].perplexity).toBeGreaterThan(2 * history[11].perplexity);
      expect(history[11].perplexity, `${sampling}/${optimizer}`).toBeLessThan(1.5);
      // A periodic sequence is fully predictable: greedy generation continues it (within the window length
      // for random sampling, whose every training window starts from a zero state at an 'a').
      expect(await model.predict('abc', 4, vocab)).toBe('abcdefg');
      if (sampling !== 'random') expect(await model.predict('abc', 8, vocab)).toBe('abcdefghabc');
    }
  });

  it('sequential sampling: an epoch that a larger offset leaves one batch short still counts, and training goes on', async () => {
    // 17 characters, batch 2, 4 steps: offset 0 gives 2 batches, offsets 1 to 4 give 1.
    const { vocab, indices } = wr.data.charCorpus('abcdefghijklmnopq');
    expect(wr.data.numBatches(17, 2, 4, 'sequential')).toBe(2);
    const model = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 8, cell: 'gru', seed: 1 });
    const history = await wr.train(model, indices, { epochs: 8, numSteps: 4, batchSize: 2, lr: 0.01, optimizer: 'adam', sampling: 'sequential', seed: 3 });
    expect(history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(history.every((h) => Number.isFinite(h.perplexity) && h.perplexity > 1)).toBe(true);
    await expect(wr.train(model, indices.slice(0, 12), { epochs: 1, numSteps: 4, batchSize: 2, lr: 0.01, sampling: 'sequential' }))
      .rejects.toThrow(/12 characters is too short .* \(sequential sampling needs at least 13\)/);
  });

  it('resumes with a caller-kept optimizer (Adam keeps its moments and step count across calls)', async () => {
    const { vocab, indices } = wr.data.charCorpus('abcdefgh'.repeat(10));
    const model = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 8, cell: 'gru', seed: 2 });
    const adam = new wr.optim.Adam(model.parameters(), { lr: 0.05 });
    const opts = { epochs: 1, numSteps: 4, batchSize: 2, lr: 0.05, optimizer: adam, sampling: 'consecutive' as const };
    const batches = wr.data.numBatches(indices.length, 2, 4, 'consecutive');
    await wr.train(model, indices, opts);
    expect(adam.stepCount).toBe(batches);
    const second = await wr.train(model, indices, opts);
    expect(adam.stepCount).toBe(2 * batches);
    expect(adam.stateOf(model.parameters()[0])!.step).toBe(2 * batches);
    expect(second[0].perplexity).toBeLessThan(vocab.size);
    const other = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 8, cell: 'gru', numLayers: 2, seed: 2 });
    await expect(wr.train(other, indices, opts)).rejects.toThrow(/optimizer holds 6 parameters but the model has 10/);
    // The same number of parameters, but another model's: refused rather than stepping the other model.
    const twin = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 8, cell: 'gru', seed: 5 });
    const twinBefore = await twin.stateDict();
    const modelBefore = await model.stateDict();
    await expect(wr.train(twin, indices, opts)).rejects.toThrow(/does not hold this model's parameter rnn\.weight_ih_l0/);
    expect(await twin.stateDict()).toEqual(twinBefore);
    expect(await model.stateDict()).toEqual(modelBefore);
    expect(adam.stepCount).toBe(2 * batches);
  });

  it('a steady training loop leaks no buffers and reuses its bind groups (stateful, consecutive sampling)', async () => {
    // A context of its own (on the same device), so other tests' garbage collected mid-way does not count.
    const own = await wr.init({ device: ctx.device });
    const { vocab, indices } = wr.data.charCorpus('abcdefgh'.repeat(12));
    const model = new wr.lm.CharRNN(own, { vocabSize: vocab.size, hiddenSize: 8, cell: 'lstm', seed: 3 });
    const seen: { groups: number; submits: number; stats: wr.MemoryStats }[] = [];
    await wr.train(model, indices, {
      epochs: 5, numSteps: 4, batchSize: 2, lr: 0.1, clipTheta: 1, optimizer: 'adam', sampling: 'consecutive',
      onEpoch: () => { seen.push({ groups: own.bindGroupCount, submits: own.submitCount, stats: own.memoryStats() }); },
    });
    // After three warm-up epochs (pipelines, bind groups, pooled buffers), epochs cost nothing new.
    const [warm, last] = [seen[2], seen[4]];
    expect(last.stats.liveBuffers).toBe(warm.stats.liveBuffers);
    expect(last.stats.liveBytes).toBe(warm.stats.liveBytes);
    expect(last.stats.pooledBuffers).toBe(warm.stats.pooledBuffers);
    expect(last.groups - warm.groups).toBe(0);
    // One command buffer per training step, plus one per epoch to read the step losses back.
    const batches = wr.data.numBatches(indices.length, 2, 4, 'consecutive');
    expect(seen[4].submits - seen[3].submits).toBe(batches + 1);
    own.destroy();
  });

  it('rejects bad input clearly', async () => {
    const { vocab, indices } = wr.data.charCorpus('abcabcabc');
    const model = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 4, cell: 'gru' });
    await expect(wr.train(model, indices, { epochs: 1, numSteps: 5, batchSize: 4, lr: 1 })).rejects.toThrow(/too short.*needs at least/);
    await expect(wr.train(model, new Int32Array(0), { epochs: 1, numSteps: 2, batchSize: 1, lr: 1 })).rejects.toThrow(/empty/);
    await expect(wr.train(model, indices, { epochs: 1, numSteps: 2, batchSize: 1, lr: -1 })).rejects.toThrow(/lr/);
    await expect(wr.train(model, Int32Array.of(0, 1, 7, 1), { epochs: 1, numSteps: 1, batchSize: 1, lr: 1 })).rejects.toThrow(/token id 7/);
  });

  it('stops with the epoch and step when the loss turns non-finite, leaving no buffer behind', async () => {
    const own = await wr.init({ device: ctx.device }); // its own counters
    const { vocab, indices } = wr.data.charCorpus('abcdefgh'.repeat(10));
    const model = new wr.lm.CharRNN(own, { vocabSize: vocab.size, hiddenSize: 8, cell: 'rnn', nonlinearity: 'relu', seed: 1 });
    await own.sync();
    const before = own.memoryStats();
    const err = await wr.train(model, indices, { epochs: 3, numSteps: 4, batchSize: 2, lr: 1e30, optimizer: 'sgd', sampling: 'consecutive' })
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(wr.NonFiniteLossError);
    expect((err as Error).message).toMatch(/epoch \d+, step \d+.*lower learning rate/);
    await own.sync();
    expect(own.memoryStats().liveTensors).toBe(before.liveTensors);
    expect(own.memoryStats().liveBuffers).toBe(before.liveBuffers);
    own.destroy();
  });

  it('an error in the middle of an epoch leaves no buffer behind', async () => {
    const own = await wr.init({ device: ctx.device });
    const { vocab, indices } = wr.data.charCorpus('abcdefgh'.repeat(10));
    const model = new wr.lm.CharRNN(own, { vocabSize: vocab.size, hiddenSize: 8, cell: 'lstm', seed: 1 });
    await own.sync();
    const before = own.memoryStats();
    let steps = 0;
    const run = wr.train(model, indices, {
      epochs: 2, numSteps: 4, batchSize: 2, lr: 0.1, sampling: 'consecutive',
      yieldBetweenSteps: async () => { if (++steps === 3) throw new Error('interrupted'); },
    });
    await expect(run).rejects.toThrow('interrupted');
    await own.sync();
    expect(own.memoryStats().liveTensors).toBe(before.liveTensors);
    expect(own.memoryStats().liveBuffers).toBe(before.liveBuffers);
    own.destroy();
  });

  it('an AbortSignal stops training', async () => {
    const { vocab, indices } = wr.data.charCorpus('abcdefgh'.repeat(10));
    const model = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 4, cell: 'rnn', seed: 1 });
    const controller = new AbortController();
    const history = await wr.train(model, indices, {
      epochs: 50, numSteps: 4, batchSize: 2, lr: 0.5, signal: controller.signal,
      onEpoch: (r) => { if (r.epoch === 2) controller.abort(); },
    });
    expect(history.length).toBe(2);
  });
});
