// The GPU sampler (shaders/sample.wgsl) against a CPU reference of the same algorithm: greedy, temperature,
// top-k (ties at the k-th kept), top-p (nucleus) and both, over the same seeded uniform draws. Each draw's
// float margin is checked first, so a pick is never decided by rounding.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { sampleTokenInto } from '../src/ops/sample.js';
import { randomArray, testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The shader's order_key: a float's bits made monotone as an unsigned integer; NaN is 0. */
function orderKey(x: number): number {
  if (Number.isNaN(x)) return 0;
  f32[0] = x;
  const b = u32[0]!;
  return (b & 0x80000000) !== 0 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
}

/** The largest K (built bit by bit from the top) with f(K) >= target, f non-increasing. */
function largestKey(f: (key: number) => number, target: number): number {
  let key = 0;
  for (let bit = 31; bit >= 0; bit--) {
    const candidate = (key | (1 << bit)) >>> 0;
    if (f(candidate) >= target) key = candidate;
  }
  return key;
}

interface Pick { choice: number; margin: number }

/** CPU reference of sample_token (float64): the pick, and how far (relative to the kept mass) the draw and the
 *  nucleus target are from the nearest boundary that would change it. */
function cpuSample(logits: Float32Array, u: number, temperature: number, topK: number, topP: number): Pick {
  const V = logits.length;
  let best = -1;
  for (let v = 0; v < V; v++) if (!Number.isNaN(logits[v]!) && (best < 0 || logits[v]! > logits[best]!)) best = v;
  if (temperature === 0 || best < 0) return { choice: best, margin: Infinity };
  const maxv = logits[best]!;
  const keys = Array.from(logits, orderKey);
  const q = Array.from(logits, (x) => Math.exp((x - maxv) / temperature));
  const mass = (threshold: number) => keys.reduce((s, k, v) => (k >= threshold ? s + q[v]! : s), 0);
  let threshold = 1;
  if (topK > 0 && topK < V) threshold = Math.max(threshold, largestKey((K) => keys.filter((k) => k >= K).length, topK));
  let margin = Infinity;
  if (topP < 1) {
    const target = topP * mass(threshold);
    const pKey = largestKey((K) => mass(Math.max(K, threshold)), target);
    // Every level mass(key >= key_v) of a kept-by-k token is a boundary the target must not sit on.
    for (const k of keys) if (k >= threshold) margin = Math.min(margin, Math.abs(mass(k) - target) / mass(threshold));
    threshold = Math.max(threshold, pKey);
  }
  const total = mass(threshold);
  const t = u * total;
  let acc = 0;
  for (let v = 0; v < V; v++) {
    if (keys[v]! < threshold) continue;
    const before = acc;
    acc += q[v]!;
    if (acc > t) return { choice: v, margin: Math.min(margin, (t - before) / total, (acc - t) / total) };
  }
  return { choice: best, margin: 0 };
}

/** Runs the kernel once per draw (positions 0..n-1) on one row of logits and returns the picks. */
async function gpuSample(logits: Float32Array, uniforms: Float32Array, temperature: number, topK: number, topP: number): Promise<Int32Array> {
  const row = ctx.tensor(logits, [1, logits.length]);
  const draws = ctx.tensor(uniforms, [uniforms.length]);
  const generated = ctx.empty([uniforms.length], 'int32');
  const next = ctx.empty([1, 1], 'int32');
  for (let k = 0; k < uniforms.length; k++) sampleTokenInto(row, draws, generated, next, k, temperature, { topK, topP });
  const ids = (await generated.read()) as Int32Array;
  const last = (await next.read()) as Int32Array;
  expect(last[0]).toBe(ids[uniforms.length - 1]);
  for (const t of [row, draws, generated, next]) t.dispose();
  return ids;
}

const cases: { name: string; V: number; temperature: number; topK: number; topP: number; logits?: (V: number) => Float32Array }[] = [
  { name: 'greedy', V: 50, temperature: 0, topK: 5, topP: 0.5 },
  { name: 'temperature only', V: 50, temperature: 1, topK: 0, topP: 1 },
  { name: 'top-k', V: 50, temperature: 0.8, topK: 5, topP: 1 },
  { name: 'top-p', V: 50, temperature: 1, topK: 0, topP: 0.9 },
  { name: 'top-k then top-p', V: 50, temperature: 1.3, topK: 10, topP: 0.7 },
  { name: 'top-k 1 is greedy', V: 50, temperature: 2, topK: 1, topP: 1 },
  { name: 'V = 700 (strided over 256 threads)', V: 700, temperature: 0.9, topK: 40, topP: 0.8 },
  // Three logit values only: the 4th largest ties with many, and top-k keeps all of them.
  { name: 'ties at the k-th logit', V: 30, temperature: 1, topK: 4, topP: 1, logits: (V) => Float32Array.from({ length: V }, (_, i) => [2, 1, 0][i % 3]! + (i === 7 ? 3 : 0)) },
  { name: 'a NaN logit is never picked', V: 40, temperature: 1, topK: 0, topP: 0.95, logits: (V) => { const a = randomArray(V, 9, -2, 2); a[3] = NaN; return a; } },
];

describe('sample_token vs a CPU reference of the same algorithm', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const logits = c.logits ? c.logits(c.V) : randomArray(c.V, c.V + 1, -3, 3);
      const uniforms = randomArray(64, 1234 + c.V + c.topK, 0, 1);
      const expected = Array.from(uniforms, (u) => cpuSample(logits, u, c.temperature, c.topK, c.topP));
      // Preconditions: no draw sits within float rounding of a boundary (a fixed seed: this cannot flake).
      for (const [i, e] of expected.entries()) expect(e.margin, `draw ${i} margin`).toBeGreaterThan(1e-5);
      const got = await gpuSample(logits, uniforms, c.temperature, c.topK, c.topP);
      expect(Array.from(got)).toEqual(expected.map((e) => e.choice));
      if (c.temperature > 0 && c.topK !== 1) expect(new Set(got).size, 'the draws pick more than one token').toBeGreaterThan(1);
    });
  }

  it('top-k and top-p restrict the picks to the kept set', async () => {
    const logits = randomArray(60, 5, -3, 3);
    const uniforms = randomArray(128, 6, 0, 1);
    const top5 = new Set([...logits.keys()].sort((a, b) => logits[b]! - logits[a]!).slice(0, 5));
    const got = await gpuSample(logits, uniforms, 3, 5, 1);
    expect([...got].every((id) => top5.has(id))).toBe(true);
  });
});

describe('CharRNN.predict with top-k / top-p', () => {
  const vocab = new wr.data.Vocab([...'abcdefghijklmnop']);
  it('is deterministic given the seed, streams its text in order, and k = 1 or a tiny p is greedy', async () => {
    const model = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 12, cell: 'gru', seed: 3 });
    const opts = { temperature: 1.5, topK: 6, topP: 0.9, seed: 11 };
    const pieces: string[] = [];
    const a = await model.predict('abc', 70, vocab, { ...opts, onText: (p) => pieces.push(p), streamEvery: 16 });
    const b = await model.predict('abc', 70, vocab, opts);
    expect(a).toBe(b);
    expect(a).not.toBe(await model.predict('abc', 70, vocab, { ...opts, seed: 12 }));
    expect(pieces.map((p) => p.length)).toEqual([16, 16, 16, 16, 6]);
    expect('abc' + pieces.join('')).toBe(a);
    const greedy = await model.predict('abc', 30, vocab);
    expect(await model.predict('abc', 30, vocab, { temperature: 2, topK: 1, seed: 1 })).toBe(greedy);
    expect(await model.predict('abc', 30, vocab, { temperature: 2, topP: 1e-6, seed: 1 })).toBe(greedy);
    await expect(model.predict('abc', 5, vocab, { temperature: 1, topK: 1.5 })).rejects.toThrow('predict: topK must be a whole number ≥ 0 (0 = off), got 1.5');
    await expect(model.predict('abc', 5, vocab, { temperature: 1, topP: 0 })).rejects.toThrow('predict: topP must be in (0, 1] (1 = off), got 0');
    model.dispose();
  });
});
