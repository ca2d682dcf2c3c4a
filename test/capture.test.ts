// Capture and replay (Context.capture): replayed training steps give bit-identical parameters to the same steps
// run uncaptured, and to the textbook's loop (state carried and detached); a replay encodes the same dispatches
// and creates nothing; misuse gets an error that names it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { testContext } from './helpers.js';
import { detachState, disposeState, type RNNState } from '../src/lm/charrnn.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

const CELLS = ['rnn', 'gru', 'lstm'] as const;
const TEXT = 'the quick brown fox jumps over the lazy dog. '.repeat(3);

/** Every parameter's bits, by name (float32 compared as integers: bit-identical, NaN included). */
async function paramBits(model: wr.lm.CharRNN): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [name, p] of model.namedParameters()) out[name] = Array.from(new Uint32Array(((await p.read()) as Float32Array).buffer));
  return out;
}

/** The textbook's loop, uncaptured, as train() ran it before capture: a fresh tensor per batch, the state carried
 *  over detached (null at each epoch's start), the loss read once per epoch. */
async function textbookLoop(model: wr.lm.CharRNN, indices: Int32Array, o: {
  epochs: number; numSteps: number; batchSize: number; lr: number; clipTheta: number; optimizer: 'sgd' | 'adam';
}): Promise<number[]> {
  const params = model.parameters();
  const opt = o.optimizer === 'adam' ? new wr.optim.Adam(params, { lr: o.lr }) : new wr.optim.SGD(params, { lr: o.lr });
  const perplexities: number[] = [];
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    let state: RNNState | null = null;
    const losses: number[] = [];
    for (const { X, Y } of wr.data.consecutiveIter(indices, o.batchSize, o.numSteps)) {
      const x = ctx.tensor(X, [o.batchSize, o.numSteps], 'int32');
      const ym = new Int32Array(o.batchSize * o.numSteps);
      for (let b = 0; b < o.batchSize; b++) for (let t = 0; t < o.numSteps; t++) ym[t * o.batchSize + b] = Y[b * o.numSteps + t];
      const y = ctx.tensor(ym, [ym.length], 'int32');
      const [logits, newState] = model.forward(x, state);
      if (state) disposeState(state);
      const loss = wr.nn.functional.crossEntropy(logits, y);
      opt.zeroGrad();
      loss.backward();
      wr.nn.utils.clipGradNorm(params, o.clipTheta).dispose();
      opt.step();
      losses.push(((await loss.read()) as Float32Array)[0]);
      state = detachState(newState);
      disposeState(newState);
      for (const t of [x, y, logits, loss]) t.dispose();
    }
    disposeState(state);
    perplexities.push(Math.exp(losses.reduce((a, b) => a + b, 0) / losses.length));
  }
  opt.zeroGrad();
  opt.dispose();
  return perplexities;
}

describe('captured training steps are bit-identical to uncaptured ones', () => {
  for (const cell of CELLS) {
    for (const optimizer of ['sgd', 'adam'] as const) {
      it(`${cell}, ${optimizer}, consecutive sampling (state carried)`, async () => {
        const { vocab, indices } = wr.data.charCorpus(TEXT);
        const opts = { epochs: 2, numSteps: 5, batchSize: 3, lr: optimizer === 'adam' ? 0.01 : 1, clipTheta: 1, optimizer };
        const make = () => new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 6, cell, seed: 11 });
        const [captured, uncaptured, textbook] = [make(), make(), make()];
        const batches = wr.data.numBatches(indices.length, opts.batchSize, opts.numSteps, 'consecutive');
        expect(batches).toBeGreaterThan(3); // some steps are replays
        const a = await wr.train(captured, indices, { ...opts, sampling: 'consecutive' });
        const b = await wr.train(uncaptured, indices, { ...opts, sampling: 'consecutive', capture: false });
        const c = await textbookLoop(textbook, indices, opts);
        const bits = await paramBits(captured);
        expect(bits).toEqual(await paramBits(uncaptured));
        expect(bits).toEqual(await paramBits(textbook));
        expect(a.map((r) => r.perplexity)).toEqual(b.map((r) => r.perplexity));
        expect(a.map((r) => r.perplexity)).toEqual(c);
        expect(a[1].perplexity).toBeLessThan(a[0].perplexity);
        for (const m of [captured, uncaptured, textbook]) for (const p of m.parameters()) p.dispose();
      });
    }
  }
});

describe('generation replays one captured token step per character', () => {
  for (const cell of CELLS) {
    it(`${cell}: greedy and sampled text equal the uncaptured loop's, in as many submits`, async () => {
      const { vocab } = wr.data.charCorpus(TEXT);
      const model = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 8, cell, seed: 5 });
      for (const opts of [{}, { temperature: 0.8, seed: 3 }, { temperature: 1.5, seed: 9, topK: 3 }, { temperature: 1.2, seed: 4, topP: 0.7 }]) {
        for (const numChars of [1, 2, 3, 20]) {
          const s0 = ctx.submitCount;
          const captured = await model.predict('the ', numChars, vocab, opts);
          const s1 = ctx.submitCount;
          const uncaptured = await model.predict('the ', numChars, vocab, { ...opts, capture: false });
          const s2 = ctx.submitCount;
          expect(captured, `${JSON.stringify(opts)}, ${numChars} characters`).toBe(uncaptured);
          expect(captured.length).toBe(4 + numChars);
          expect(s1 - s0).toBe(s2 - s1);
        }
      }
      // Streamed pieces come from the replays' submissions as from the uncaptured loop's.
      const pieces: string[][] = [[], []];
      const texts = [
        await model.predict('the ', 21, vocab, { temperature: 1, seed: 8, streamEvery: 5, onText: (p) => pieces[0].push(p) }),
        await model.predict('the ', 21, vocab, { temperature: 1, seed: 8, streamEvery: 5, onText: (p) => pieces[1].push(p), capture: false }),
      ];
      expect(texts[0]).toBe(texts[1]);
      expect(pieces[0]).toEqual(pieces[1]);
      expect(pieces[0].join('')).toBe(texts[0].slice(4));
      for (const p of model.parameters()) p.dispose();
    });
  }
});

/** A small training step as a user writes it: forward, loss, backward, clip, optimizer step. */
function makeStep(cell: (typeof CELLS)[number], optimizer: 'sgd' | 'adam') {
  const V = 7, H = 5, B = 2, T = 4;
  const model = new wr.lm.CharRNN(ctx, { vocabSize: V, hiddenSize: H, cell, seed: 3 });
  const params = model.parameters();
  const opt = optimizer === 'adam' ? new wr.optim.Adam(params, { lr: 0.01 }) : new wr.optim.SGD(params, { lr: 0.5 });
  const x = ctx.tensor(new Int32Array(B * T), [B, T], 'int32');
  const y = ctx.tensor(new Int32Array(B * T), [T * B], 'int32');
  const fn = () => {
    const [logits, state] = model.forward(x);
    const loss = wr.nn.functional.crossEntropy(logits, y);
    opt.zeroGrad();
    loss.backward();
    wr.nn.utils.clipGradNorm(params, 1).dispose();
    opt.step();
    logits.dispose();
    disposeState(state);
    return loss;
  };
  const batch = (i: number) => ({
    x: Int32Array.from({ length: B * T }, (_, k) => (k * 3 + i) % V),
    y: Int32Array.from({ length: B * T }, (_, k) => (k * 5 + 2 * i) % V),
  });
  const dispose = () => {
    opt.zeroGrad();
    opt.dispose();
    for (const t of [x, y, ...params]) t.dispose();
  };
  return { model, params, opt, x, y, fn, batch, dispose };
}

describe('a captured step', () => {
  it('replays with the same dispatches as the step uncaptured, creating no bind group, buffer or tensor', async () => {
    ctx.poisonUninitialized = false; // the ops' own dispatches, not the debug NaN fills
    try {
      for (const cell of CELLS) {
        const s = makeStep(cell, 'adam');
        const d0 = ctx.dispatchCount;
        s.fn().dispose(); // uncaptured (Adam makes its state here)
        const d1 = ctx.dispatchCount;
        s.fn().dispose(); // uncaptured, steady
        const uncaptured = ctx.dispatchCount - d1;
        expect(d1 - d0).toBeGreaterThan(uncaptured); // the first step's moment fills
        const step = ctx.capture(s.fn, { inputs: { x: s.x, y: s.y } });
        let runs = 0;
        while (!step.isCaptured) step.run(s.batch(runs++));
        expect(runs).toBe(2); // the optimizer already had its state: two runs agree
        expect(step.dispatchCount).toBe(uncaptured);
        await ctx.sync();
        const groups = ctx.bindGroupCount;
        const stats = ctx.memoryStats();
        const counts: number[] = [];
        for (let i = 0; i < 4; i++) {
          const before = ctx.dispatchCount;
          step.run(s.batch(runs + i));
          counts.push(ctx.dispatchCount - before);
        }
        await ctx.sync();
        expect(counts).toEqual([uncaptured, uncaptured, uncaptured, uncaptured]);
        expect(ctx.bindGroupCount).toBe(groups);
        expect(ctx.memoryStats()).toEqual(stats);
        // Replays advance the optimizer's per-step state as the steps they stand for.
        expect(s.opt.stepCount).toBe(2 + runs + 4);
        expect((s.opt as wr.optim.Adam).stateOf(s.params[0])!.step).toBe(2 + runs + 4);
        step.dispose();
        s.dispose();
      }
    } finally {
      ctx.poisonUninitialized = true;
    }
  });

  it('pins the dispatch count of a captured textbook LSTM step (T = 35): the uncaptured count, 108', async () => {
    ctx.poisonUninitialized = false;
    try {
      const V = 16, H = 8, B = 2, T = 35;
      const { vocab, indices } = wr.data.charCorpus(Array.from({ length: 3 * B * T }, (_, i) => 'abcdefghijklmnop'[(i * 7) % V]).join(''));
      expect(vocab.size).toBe(V);
      const counts: number[] = [];
      for (const capture of [false, true]) {
        const own = await wr.init({ device: ctx.device });
        const model = new wr.lm.CharRNN(own, { vocabSize: V, hiddenSize: H, cell: 'lstm', seed: 1 });
        const perStep: number[] = [];
        let last = own.dispatchCount;
        await wr.train(model, indices, {
          epochs: 1, numSteps: T, batchSize: B, lr: 1, clipTheta: 0.01, sampling: 'consecutive', capture,
          yieldBetweenSteps: async () => { perStep.push(own.dispatchCount - last); last = own.dispatchCount; },
        });
        counts.push(perStep[perStep.length - 1]);
        own.destroy();
      }
      // The same for both (dispatch-count.test.ts pins 106 for the textbook step from a zero state; train()'s
      // step reads a carried state).
      expect(counts).toEqual([108, 108]);
    } finally {
      ctx.poisonUninitialized = true;
    }
  });

  it('is bit-identical to the same steps uncaptured, with the lr changed between replays', async () => {
    for (const optimizer of ['sgd', 'adam'] as const) {
      const [a, b] = [makeStep('gru', optimizer), makeStep('gru', optimizer)];
      const step = a.opt && ctx.capture(a.fn, { inputs: { x: a.x, y: a.y } });
      for (let i = 0; i < 6; i++) {
        for (const o of [a.opt, b.opt]) o.lr = 0.5 / (i + 1); // a schedule
        step.run(a.batch(i));
        ctx.writeBuffer(b.x.buffer, 0, b.batch(i).x);
        ctx.writeBuffer(b.y.buffer, 0, b.batch(i).y);
        b.x.cpuData = b.batch(i).x;
        b.fn().dispose();
      }
      expect(step.isCaptured).toBe(true);
      expect(await paramBits(a.model)).toEqual(await paramBits(b.model));
      step.dispose();
      a.dispose();
      b.dispose();
    }
  });

  it('keeps its buffers reserved until dispose(), then gives them all back', async () => {
    const own = await wr.init({ device: ctx.device });
    const x = own.tensor([1, 2, 3, 4], [4]);
    const before = own.memoryStats();
    const step = own.capture(() => wr.ops.mul(x, x), { inputs: { x } });
    step.run();
    const out = step.run(); // the second run's result: the tensor every replay rewrites
    expect(step.isCaptured).toBe(true);
    // Every replay writes the output's buffer: disposing the tensor must not let the pool hand that buffer out.
    out.dispose();
    await own.sync(); // a submit: released buffers are reusable after it
    const others = Array.from({ length: 8 }, () => own.tensor([9, 9, 9, 9], [4])); // every free buffer of the size
    step.run({ x: Float32Array.of(1, 2, 3, 5) });
    for (const t of others) expect(Array.from((await t.read()) as Float32Array)).toEqual([9, 9, 9, 9]);
    for (const t of others) t.dispose();
    step.dispose();
    await own.sync();
    expect(own.memoryStats().liveBuffers).toBe(before.liveBuffers);
    expect(own.memoryStats().liveTensors).toBe(before.liveTensors);
    own.destroy();
  });
});

describe('misuse of a captured step is refused by name', () => {
  it('reading a tensor while capturing', () => {
    const x = ctx.tensor([1, 2], [2]);
    const step = ctx.capture(() => { void x.read(); });
    expect(() => step.run()).toThrow(/cannot read a tensor while a step is being captured/);
    expect(step.isDisposed).toBe(true);
    x.dispose();
  });

  it('inputs of the wrong name, dtype, size or shape; nothing written', async () => {
    const x = ctx.tensor(new Int32Array(6), [2, 3], 'int32');
    const f = ctx.tensor([0, 0], [2]);
    const step = ctx.capture(() => wr.ops.add(f, f), { inputs: { x, f } });
    expect(() => step.run({ z: new Int32Array(6) })).toThrow(/'z' is not an input of this step \(its inputs: x, f\)/);
    expect(() => step.run({ x: new Float32Array(6) })).toThrow(/input 'x' is int32: give it an Int32Array/);
    expect(() => step.run({ x: new Int32Array(5) })).toThrow(/input 'x' is \[2, 3\] \(6 elements\), got 5/);
    expect(() => step.run({ f: Float32Array.of(1, 2), x: new Int32Array(4) })).toThrow(/got 4/);
    expect(Array.from((await f.read()) as Float32Array)).toEqual([0, 0]); // the valid input was not written either
    const wrong = ctx.tensor(new Int32Array(6), [3, 2], 'int32');
    expect(() => step.run({ x: wrong })).toThrow(/input 'x' is int32 \[2, 3\], got a tensor int32 \[3, 2\]/);
    expect(() => ctx.capture(() => 0, { inputs: { x: [1] as unknown as wr.Tensor } })).toThrow(/input 'x' is not a tensor/);
    step.dispose();
    for (const t of [x, f, wrong]) t.dispose();
  });

  it('run() after dispose(), a promise, nesting', () => {
    const step = ctx.capture(() => null);
    step.run();
    step.dispose();
    expect(() => step.run()).toThrow(/run\(\) after dispose\(\)/);
    const asyncStep = ctx.capture(async () => null);
    expect(() => asyncStep.run()).toThrow(/returned a promise; it must encode its work synchronously/);
    const outer = ctx.capture(() => ctx.capture(() => null).run());
    expect(() => outer.run()).toThrow(/already being captured \(captures do not nest\)/);
  });

  it('a step that encodes different work each time (a param that changes per call)', () => {
    const x = ctx.tensor([1, 2, 3], [3]);
    let k = 0;
    const step = ctx.capture(() => { k++; ctx.fillBuffer(x.buffer, k, 3); });
    step.run();
    step.run();
    expect(() => step.run()).toThrow(/runs 2 and 3 of the step encoded different work[\s\S]*elementwise\.wgsl:fill[\s\S]*capture input or a buffer/);
    expect(step.isDisposed).toBe(true);
    x.dispose();
  });

  it('a step that allocates differently on a second run', () => {
    let n = 1;
    const step = ctx.capture(() => { const t = ctx.zeros([n++]); t.dispose(); });
    step.run();
    step.run();
    expect(() => step.run()).toThrow(/encoded different work[\s\S]*allocate/);
  });

  it('a step that overwrites on the GPU data it wrote from the CPU', () => {
    const step = ctx.capture(() => { const t = ctx.tensor([1, 2], [2]); ctx.fillBuffer(t.buffer, 0, 2); t.dispose(); });
    expect(() => step.run()).toThrow(/overwrites buffer .* written from the CPU during the same step/);
  });
});
