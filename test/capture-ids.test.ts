// Token ids given to a captured step's replays are range-checked as the ops check them while the step is
// recorded (or run uncaptured): an out-of-range id gets the same RangeError, and nothing is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { testContext } from './helpers.js';
import { disposeState } from '../src/lm/charrnn.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

const V = 7, H = 4, B = 2, T = 3;
const good = (i: number) => ({
  x: Int32Array.from({ length: B * T }, (_, k) => (k + i) % V),
  y: Int32Array.from({ length: B * T }, (_, k) => (2 * k + i) % V),
});

/** A CharRNN training step (X [B, T] is transposed on the way to the LSTM: the checked ids are a reordering). */
function charStep() {
  const model = new wr.lm.CharRNN(ctx, { vocabSize: V, hiddenSize: H, cell: 'lstm', seed: 3 });
  const params = model.parameters();
  const opt = new wr.optim.SGD(params, { lr: 0.1 });
  const x = ctx.tensor(good(0).x, [B, T], 'int32');
  const y = ctx.tensor(good(0).y, [T * B], 'int32');
  const fn = () => {
    const [logits, state] = model.forward(x);
    const loss = wr.nn.functional.crossEntropy(logits, y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    logits.dispose();
    disposeState(state);
    return loss;
  };
  return { x, y, fn, dispose: () => { opt.zeroGrad(); for (const t of [x, y, ...params]) t.dispose(); } };
}

/** An embedding lookup step on [T, B] ids as given (no reordering). */
function embeddingStep() {
  const emb = new wr.nn.Embedding(ctx, { numEmbeddings: V, embeddingDim: 3, seed: 2 });
  const x = ctx.tensor(good(0).x, [T, B], 'int32');
  const fn = () => wr.noGrad(() => emb.forward(x));
  return { x, fn, dispose: () => { for (const t of [x, ...emb.parameters()]) t.dispose(); } };
}

/** The message `fn` throws with. */
function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

/** The error the step throws uncaptured with `ids` in `input` (a fresh step, so the captured one is untouched). */
function uncapturedError(make: () => { fn: () => unknown; dispose: () => void } & Record<string, unknown>, input: string, ids: Int32Array): Error {
  const s = make();
  const t = s[input] as Tensor;
  t.cpuData = ids; // as train() does with each batch
  const error = errorOf(s.fn);
  s.dispose();
  return error;
}

describe('a captured step checks the token ids of every replay', () => {
  it('reordered ids (CharRNN X) and targets: the same RangeError as uncaptured, nothing written, the step goes on', async () => {
    const s = charStep();
    const step = ctx.capture(s.fn, { inputs: { x: s.x, y: s.y } });
    let i = 0;
    while (!step.isCaptured) step.run(good(i++));
    const badX = good(5).x;
    badX[4] = V; // position 4 of [B, T] is position (4 % T) * B + 1 of the time-major ids the LSTM checks
    const badY = good(5).y;
    badY[3] = -1;
    const xBefore = Array.from((await s.x.read()) as Int32Array);
    for (const [input, given] of [['x', { x: badX, y: good(5).y }], ['y', { x: good(5).x, y: badY }]] as const) {
      const expected = uncapturedError(charStep, input, given[input]);
      expect(expected).toBeInstanceOf(RangeError);
      const error = errorOf(() => step.run(given));
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toBe(expected.message);
    }
    expect(uncapturedError(charStep, 'x', badX).message).toMatch(/LSTM \(inputSize 7\): token id 7 at position 3 is outside the vocabulary \[0, 7\)/);
    expect(uncapturedError(charStep, 'y', badY).message).toMatch(/crossEntropy: target -1 at index 3 is outside \[0, 7\)/);
    // Refused before anything was written; the step still replays.
    expect(Array.from((await s.x.read()) as Int32Array)).toEqual(xBefore);
    expect(step.isCaptured).toBe(true);
    const loss = step.run(good(6));
    expect(Number.isFinite(((await loss.read()) as Float32Array)[0])).toBe(true);
    // A tensor given as input is checked by its CPU copy too.
    const badTensor = ctx.tensor(badX, [B, T], 'int32');
    expect(() => step.run({ x: badTensor })).toThrow(/token id 7 at position 3/);
    // ignoreIndex stays allowed.
    const ignored = good(7).y;
    ignored[0] = -100;
    expect(() => step.run({ y: ignored })).not.toThrow();
    badTensor.dispose();
    step.dispose();
    s.dispose();
  });

  it('ids fed straight to an Embedding', async () => {
    const s = embeddingStep();
    const step = ctx.capture(s.fn, { inputs: { x: s.x } });
    while (!step.isCaptured) step.run({ x: good(1).x });
    const bad = good(2).x;
    bad[5] = 100;
    const expected = uncapturedError(embeddingStep, 'x', bad);
    expect(expected.message).toMatch(/Embedding \(numEmbeddings 7\): token id 100 at position 5 is outside the vocabulary \[0, 7\)/);
    expect(() => step.run({ x: bad })).toThrow(expected.message);
    const out = step.run({ x: good(3).x });
    expect(((await out.read()) as Float32Array).every(Number.isFinite)).toBe(true);
    step.dispose();
    s.dispose();
  });
});
