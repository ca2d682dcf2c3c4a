// Reductions: sum over each axis (and its gradient by finite differences), globalNorm of several tensors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { dot, expectClose, numericGrad, randomArray, testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

/** Σ over `axis` of a row-major tensor, in float64. */
function cpuSum(x: ArrayLike<number>, shape: readonly number[], axis: number): Float64Array {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const R = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < R; r++) {
      for (let i = 0; i < inner; i++) out[o * inner + i] += x[(o * R + r) * inner + i];
    }
  }
  return out;
}

const SHAPES = [[1, 1, 1], [3, 5, 7], [2, 67, 3], [13, 1, 29]];

describe('sum', () => {
  for (const shape of SHAPES) {
    it(`over each axis of [${shape}]: forward vs CPU, gradient vs finite differences`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const x0 = randomArray(n, n);
      for (const axis of [0, 1, 2, -1]) {
        const ax = axis < 0 ? axis + 3 : axis;
        const x = ctx.tensor(x0, shape);
        x.requiresGrad = true;
        const y = wr.ops.sum(x, axis);
        const outShape = shape.filter((_, i) => i !== ax);
        expect(y.shape).toEqual(outShape);
        expectClose(await y.read(), cpuSum(x0, shape, ax), 1e-5, 1e-5, `sum axis ${axis}`);
        const w = randomArray(y.numel, 100 + ax);
        y.backward(ctx.tensor(w, outShape));
        const expected = numericGrad((v) => dot(cpuSum(v, shape, ax), w), x0);
        expectClose(await x.grad!.read(), expected, 1e-4, 1e-3, `d sum axis ${axis}`);
        x.dispose();
        y.dispose();
      }
    });
  }

  it('a 1-D sum is a scalar whose backward needs no gradient', async () => {
    const x0 = randomArray(300, 7); // more elements than one workgroup has threads
    const x = ctx.tensor(x0, [300]);
    x.requiresGrad = true;
    const s = wr.ops.sum(x, 0);
    expect(s.shape).toEqual([]);
    expectClose(await s.read(), [x0.reduce((a, b) => a + b, 0)], 1e-4, 1e-5);
    s.backward();
    expect(Array.from(await x.grad!.read())).toEqual(new Array(300).fill(1));
  });

  it('sums of sums: the gradient of Σ over two axes', async () => {
    const shape = [4, 3, 5];
    const x0 = randomArray(60, 8);
    const x = ctx.tensor(x0, shape);
    x.requiresGrad = true;
    const y = wr.ops.sum(wr.ops.sum(x, 2), 0); // [3]
    const w = randomArray(3, 9);
    y.backward(ctx.tensor(w, [3]));
    const expected = numericGrad((v) => dot(cpuSum(cpuSum(v, shape, 2), [4, 3], 0), w), x0);
    expectClose(await x.grad!.read(), expected, 1e-4, 1e-3);
  });

  it('an axis out of range throws a RangeError', () => {
    const x = ctx.tensor(new Float32Array(6), [2, 3]);
    expect(() => wr.ops.sum(x, 2)).toThrow(RangeError);
    expect(() => wr.ops.sum(x, -3)).toThrow(/axis -3/);
    expect(() => wr.ops.sum(x, 0.5)).toThrow(RangeError);
    expect(() => wr.ops.sum(ctx.tensor(new Int32Array(2), [2]), 0)).toThrow(TypeError);
  });

  it('sumRowsInto accumulates column sums (bias gradients)', async () => {
    const [M, N] = [67, 5];
    const x0 = randomArray(M * N, 10);
    const o0 = randomArray(N, 11);
    const x = ctx.tensor(x0, [M, N]);
    const out = ctx.tensor(o0, [N]);
    wr.ops.sumRowsInto(out, x, M, N);
    expectClose(await out.read(), cpuSum(x0, [M, N], 0).map((v, i) => v + o0[i]), 1e-5, 1e-5);
  });
});

describe('globalNorm', () => {
  it('of several tensors vs CPU', async () => {
    const shapes = [[1], [13], [7, 5], [600], [3, 1, 67]]; // 600: more than one pass of the 256-thread workgroup
    const datas = shapes.map((s, i) => randomArray(s.reduce((a, b) => a * b, 1), 200 + i));
    const tensors = datas.map((d, i) => ctx.tensor(d, shapes[i]));
    const norm = wr.ops.globalNorm(ctx, tensors);
    expect(norm.numel).toBe(1);
    let sq = 0;
    for (const d of datas) for (const v of d) sq += v * v;
    expectClose(await norm.read(), [Math.sqrt(sq)], 1e-5, 1e-5);
    // One tensor, and the same tensor twice.
    expectClose(await wr.ops.globalNorm(ctx, [tensors[3]]).read(), [Math.hypot(...datas[3])], 1e-5, 1e-5, 'one');
    expectClose(await wr.ops.globalNorm(ctx, [tensors[1], tensors[1]]).read(), [Math.SQRT2 * Math.hypot(...datas[1])], 1e-5, 1e-5, 'twice');
  });

  it('of more tensors than a workgroup has threads', async () => {
    const tensors = Array.from({ length: 300 }, (_, i) => ctx.tensor([i % 7, -1], [2]));
    let sq = 0;
    for (let i = 0; i < 300; i++) sq += (i % 7) ** 2 + 1;
    expectClose(await wr.ops.globalNorm(ctx, tensors).read(), [Math.sqrt(sq)], 1e-5, 1e-5);
    for (const t of tensors) t.dispose();
  });

  it('of 16 tensors of different sizes: 7 per sum_squares dispatch, each tensor counted once', async () => {
    // Sizes across the workgroup's 256 threads, and small integer values: every sum is exact in float32 and the
    // smallest tensor adds 1 to a total of ~20 000, so a tensor dropped or counted twice moves the norm by > 1e-5.
    const sizes = Array.from({ length: 16 }, (_, k) => 1 + ((k * 97) % 530));
    const tensors = sizes.map((n, k) => ctx.tensor(new Float32Array(n).fill((k % 3) + 1), [n]));
    let sq = 0;
    sizes.forEach((n, k) => (sq += n * ((k % 3) + 1) ** 2));
    const poison = ctx.poisonUninitialized;
    ctx.poisonUninitialized = false; // count the op's dispatches, not the debug NaN fills of its outputs
    const d0 = ctx.dispatchCount;
    const norm = wr.ops.globalNorm(ctx, tensors);
    const dispatches = ctx.dispatchCount - d0;
    ctx.poisonUninitialized = poison;
    expect(dispatches).toBe(3 + 1); // ⌈16 / 7⌉ sum_squares, one global_norm
    expectClose(await norm.read(), [Math.sqrt(sq)], 0, 1e-6);
    for (const t of [norm, ...tensors]) t.dispose();
  });

  it('of no tensors, and of zeros, is 0', async () => {
    expect(Array.from(await wr.ops.globalNorm(ctx, []).read())).toEqual([0]);
    expect(Array.from(await wr.ops.globalNorm(ctx, [ctx.zeros([5]), ctx.zeros([1])]).read())).toEqual([0]);
  });

  it('records nothing on the tape', () => {
    const x = ctx.tensor([3, 4], [2]);
    x.requiresGrad = true;
    const n = wr.ops.globalNorm(ctx, [x]);
    expect(n.requiresGrad).toBe(false);
    expect(n.gradFn).toBeNull();
  });
});
