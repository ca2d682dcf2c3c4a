// Fused softmax cross-entropy (mean over rows): loss and dLogits against PyTorch (test/fixtures/losses.json,
// made by gen_fixtures.py with F.cross_entropy), and against finite differences of a float64 CPU version.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { expectClose, numericGrad, randomArray, testContext } from './helpers.js';
import losses from './fixtures/losses.json';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

interface LossCase { name: string; N: number; C: number; logits: number[]; targets: number[]; loss: number; dLogits: number[] }
const CASES = (losses as { cases: LossCase[] }).cases;

/** Mean cross-entropy in float64, max-subtracted. */
function cpuCrossEntropy(logits: ArrayLike<number>, targets: ArrayLike<number>, N: number, C: number): number {
  let total = 0;
  for (let n = 0; n < N; n++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, logits[n * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(logits[n * C + c] - m);
    total += m + Math.log(s) - logits[n * C + targets[n]];
  }
  return total / N;
}

describe('crossEntropy against PyTorch', () => {
  it('has the fixture cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(5);
  });

  for (const c of CASES) for (const variant of ['workgroup', 'rowwise'] as const) {
    it(`${c.name} (${variant} forward): loss and dLogits within 1e-4`, async () => {
      const logits = ctx.tensor(c.logits, [c.N, c.C]);
      logits.requiresGrad = true;
      const targets = ctx.tensor(Int32Array.from(c.targets), [c.N]);
      const loss = wr.ops.crossEntropy(logits, targets, { variant });
      expect(loss.shape).toEqual([]);
      expectClose(await loss.read(), [c.loss], 1e-4, 0, 'loss');
      loss.backward();
      expectClose(await logits.grad!.read(), c.dLogits, 1e-4, 0, 'dLogits');
      // The float64 CPU version agrees with PyTorch too (so the finite-difference tests below test the right thing).
      expect(Math.abs(cpuCrossEntropy(c.logits, c.targets, c.N, c.C) - c.loss)).toBeLessThan(1e-5);
    });
  }
});

describe('crossEntropy gradients', () => {
  it('vs finite differences, with an upstream gradient on the scalar loss', async () => {
    for (const [N, C] of [[1, 1], [3, 5], [7, 13], [2, 300]] as const) {
      const x0 = randomArray(N * C, N * C, -3, 3);
      const t0 = Int32Array.from({ length: N }, (_, i) => (i * 7 + 3) % C);
      const logits = ctx.tensor(x0, [N, C]);
      logits.requiresGrad = true;
      const loss = wr.ops.crossEntropy(logits, ctx.tensor(t0, [N]));
      expectClose(await loss.read(), [cpuCrossEntropy(x0, t0, N, C)], 1e-5, 1e-5, `loss [${N}, ${C}]`);
      loss.backward(ctx.tensor([2.5], []));
      const expected = numericGrad((v) => 2.5 * cpuCrossEntropy(v, t0, N, C), x0);
      expectClose(await logits.grad!.read(), expected, 1e-4, 1e-3, `dLogits [${N}, ${C}]`);
    }
  });

  it('through a linear layer: logits = H·Wᵀ + b', async () => {
    const [N, H, V] = [5, 6, 7];
    const h0 = randomArray(N * H, 1);
    const w0 = randomArray(V * H, 2);
    const b0 = randomArray(V, 3);
    const t0 = Int32Array.from([6, 0, 3, 3, 1]);
    const cpu = (h: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>) => {
      const logits = new Float64Array(N * V);
      for (let n = 0; n < N; n++) {
        for (let v = 0; v < V; v++) {
          let s = b[v];
          for (let k = 0; k < H; k++) s += h[n * H + k] * w[v * H + k];
          logits[n * V + v] = s;
        }
      }
      return cpuCrossEntropy(logits, t0, N, V);
    };
    const h = ctx.tensor(h0, [N, H]);
    const w = ctx.tensor(w0, [V, H]);
    const b = ctx.tensor(b0, [V]);
    for (const t of [h, w, b]) t.requiresGrad = true;
    const loss = wr.ops.crossEntropy(wr.ops.matmul(h, w, { transB: true, bias: b }), ctx.tensor(t0, [N]));
    expectClose(await loss.read(), [cpu(h0, w0, b0)], 1e-5, 1e-5, 'loss');
    loss.backward();
    const tol = [1e-4, 1e-3] as const;
    expectClose(await h.grad!.read(), numericGrad((v) => cpu(v, w0, b0), h0), ...tol, 'dH');
    expectClose(await w.grad!.read(), numericGrad((v) => cpu(h0, v, b0), w0), ...tol, 'dW');
    expectClose(await b.grad!.read(), numericGrad((v) => cpu(h0, w0, v), b0), ...tol, 'db');
  });

  it('gradients accumulate over two losses on the same logits', async () => {
    const x0 = randomArray(12, 5);
    const logits = ctx.tensor(x0, [3, 4]);
    logits.requiresGrad = true;
    const a = Int32Array.from([0, 1, 2]);
    const b = Int32Array.from([3, 3, 3]);
    wr.ops.crossEntropy(logits, ctx.tensor(a, [3])).backward();
    wr.ops.crossEntropy(logits, ctx.tensor(b, [3])).backward();
    const expected = numericGrad((v) => cpuCrossEntropy(v, a, 3, 4) + cpuCrossEntropy(v, b, 3, 4), x0);
    expectClose(await logits.grad!.read(), expected, 1e-4, 1e-3);
  });

  it('targets as [B, T] ids: any shape with N elements', async () => {
    const x0 = randomArray(6 * 3, 6);
    const t0 = Int32Array.from([0, 1, 2, 2, 1, 0]);
    const loss = wr.ops.crossEntropy(ctx.tensor(x0, [6, 3]), ctx.tensor(t0, [2, 3]));
    expectClose(await loss.read(), [cpuCrossEntropy(x0, t0, 6, 3)], 1e-5, 1e-5);
  });
});

describe('crossEntropy errors', () => {
  it('a target out of range throws a RangeError naming it', () => {
    const logits = ctx.tensor(randomArray(3 * 7, 1), [3, 7]);
    const high = ctx.tensor(Int32Array.from([0, 7, 1]), [3]);
    expect(() => wr.ops.crossEntropy(logits, high)).toThrow(RangeError);
    expect(() => wr.ops.crossEntropy(logits, high)).toThrow(/target 7 at index 1/);
    const negative = ctx.tensor(Int32Array.from([0, 1, -1]), [3]);
    expect(() => wr.ops.crossEntropy(logits, negative)).toThrow(/target -1 at index 2/);
  });

  it('targets of the wrong type or count, and logits that are not 2-D, throw', () => {
    const logits = ctx.tensor(randomArray(3 * 7, 1), [3, 7]);
    expect(() => wr.ops.crossEntropy(logits, ctx.tensor([0, 1, 2], [3]))).toThrow(/int32/);
    expect(() => wr.ops.crossEntropy(logits, ctx.tensor(Int32Array.from([0, 1]), [2]))).toThrow(RangeError);
    expect(() => wr.ops.crossEntropy(ctx.tensor(randomArray(7, 1), [7]), ctx.tensor(Int32Array.from([0]), [1]))).toThrow(/\[N, C\]/);
  });

  it('a target made on the GPU (not checkable on the CPU) that is out of range gives NaN, not garbage', async () => {
    const logits = ctx.tensor(randomArray(2 * 3, 1), [2, 3]);
    const targets = ctx.empty([2], 'int32');
    ctx.writeBuffer(targets.buffer, 0, Int32Array.from([1, 5]));
    const loss = wr.ops.crossEntropy(logits, targets);
    expect(Number.isNaN((await loss.read())[0])).toBe(true);
  });
});
