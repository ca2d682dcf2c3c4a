// Elementwise ops: forward against a float64 CPU reference, gradients against central finite differences.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { dot, expectClose, numericGrad, randomArray, testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

// 1, primes, and sizes that leave a partial workgroup of 256 threads.
const SHAPES = [[1], [13], [7, 5], [17, 31], [2, 3, 43]];
const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Values kept away from relu's kink so finite differences are well defined. */
function awayFromZero(a: Float32Array): Float32Array {
  return a.map((v) => (Math.abs(v) < 0.05 ? v + (v < 0 ? -0.1 : 0.1) : v));
}

type Unary = { name: string; op: (x: wr.Tensor) => wr.Tensor; cpu: (x: number) => number };
const UNARY: Unary[] = [
  { name: 'tanh', op: wr.ops.tanh, cpu: Math.tanh },
  { name: 'sigmoid', op: wr.ops.sigmoid, cpu: (x) => 1 / (1 + Math.exp(-x)) },
  { name: 'relu', op: wr.ops.relu, cpu: (x) => Math.max(x, 0) },
  { name: 'scale(-2.5)', op: (x) => wr.ops.scale(x, -2.5), cpu: (x) => -2.5 * x },
];

type Binary = { name: string; op: (a: wr.Tensor, b: wr.Tensor) => wr.Tensor; cpu: (a: number, b: number) => number };
const BINARY: Binary[] = [
  { name: 'add', op: wr.ops.add, cpu: (a, b) => a + b },
  { name: 'mul', op: wr.ops.mul, cpu: (a, b) => a * b },
];

const GRAD_TOL = { atol: 1e-4, rtol: 1e-3 };

describe('unary ops', () => {
  for (const u of UNARY) {
    it(`${u.name}: forward vs CPU`, async () => {
      for (const shape of SHAPES) {
        const data = randomArray(numel(shape), numel(shape), -3, 3);
        const x = ctx.tensor(data, shape);
        const y = u.op(x);
        expect(y.shape).toEqual(shape);
        // Transcendentals get a few ulp of slack (WGSL's exp/tanh accuracy is implementation-defined).
        expectClose(await y.read(), Array.from(data, u.cpu), 1e-5, 1e-5, `${u.name} ${shape}`);
        x.dispose();
        y.dispose();
      }
    });

    it(`${u.name}: gradient vs finite differences`, async () => {
      for (const shape of [[1], [7, 5], [17, 31]]) {
        const n = numel(shape);
        const x0 = awayFromZero(randomArray(n, 10 + n, -2, 2));
        const w = randomArray(n, 20 + n);
        const x = ctx.tensor(x0, shape);
        x.requiresGrad = true;
        u.op(x).backward(ctx.tensor(w, shape));
        const expected = numericGrad((v) => dot(Array.from(v, u.cpu), w), x0);
        expectClose(await x.grad!.read(), expected, GRAD_TOL.atol, GRAD_TOL.rtol, `d${u.name} ${shape}`);
      }
    });
  }

  it('tanh and sigmoid saturate without NaN for large inputs', async () => {
    const data = Float32Array.from([-1e4, -100, -50, -20, 0, 20, 50, 100, 1e4]);
    const x = ctx.tensor(data, [data.length]);
    x.requiresGrad = true;
    const t = wr.ops.tanh(x);
    const s = wr.ops.sigmoid(x);
    expectClose(await t.read(), Array.from(data, Math.tanh), 1e-6, 0, 'tanh');
    expectClose(await s.read(), Array.from(data, (v) => 1 / (1 + Math.exp(-v))), 1e-6, 0, 'sigmoid');
    wr.autograd.backward([t, s], [ctx.tensor(new Float32Array(9).fill(1), [9]), ctx.tensor(new Float32Array(9).fill(1), [9])]);
    const g = await x.grad!.read();
    expect(Array.from(g).every(Number.isFinite)).toBe(true);
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    expectClose(g, Array.from(data, (v) => 1 - Math.tanh(v) ** 2 + sig(v) * (1 - sig(v))), 1e-6, 1e-5, 'grad');
  });

  it('relu passes a zero gradient for negative inputs', async () => {
    const x = ctx.tensor([-2, -0.5, 0.5, 2], [4]);
    x.requiresGrad = true;
    wr.ops.relu(x).backward(ctx.tensor([1, 2, 3, 4], [4]));
    expect(Array.from(await x.grad!.read())).toEqual([0, 0, 3, 4]);
  });
});

describe('binary ops', () => {
  for (const b of BINARY) {
    it(`${b.name}: forward vs CPU`, async () => {
      for (const shape of SHAPES) {
        const n = numel(shape);
        const da = randomArray(n, n, -3, 3);
        const db = randomArray(n, n + 1000, -3, 3);
        const x = ctx.tensor(da, shape);
        const y = ctx.tensor(db, shape);
        const z = b.op(x, y);
        expect(z.shape).toEqual(shape);
        expectClose(await z.read(), Array.from(da, (v, i) => b.cpu(v, db[i])), 1e-6, 1e-6, `${b.name} ${shape}`);
        for (const t of [x, y, z]) t.dispose();
      }
    });

    it(`${b.name}: gradients of both operands vs finite differences`, async () => {
      for (const shape of [[1], [7, 5], [17, 31]]) {
        const n = numel(shape);
        const a0 = randomArray(n, 30 + n);
        const b0 = randomArray(n, 40 + n);
        const w = randomArray(n, 50 + n);
        const x = ctx.tensor(a0, shape);
        const y = ctx.tensor(b0, shape);
        x.requiresGrad = true;
        y.requiresGrad = true;
        b.op(x, y).backward(ctx.tensor(w, shape));
        const da = numericGrad((v) => dot(Array.from(v, (vi, i) => b.cpu(vi, b0[i])), w), a0);
        const db = numericGrad((v) => dot(Array.from(v, (vi, i) => b.cpu(a0[i], vi)), w), b0);
        expectClose(await x.grad!.read(), da, GRAD_TOL.atol, GRAD_TOL.rtol, `${b.name} da ${shape}`);
        expectClose(await y.grad!.read(), db, GRAD_TOL.atol, GRAD_TOL.rtol, `${b.name} db ${shape}`);
      }
    });

    it(`${b.name}: only the operand that requires grad gets one`, async () => {
      const x = ctx.tensor([1, 2, 3], [3]);
      const y = ctx.tensor([4, 5, 6], [3]);
      y.requiresGrad = true;
      b.op(x, y).backward(ctx.tensor([1, 1, 1], [3]));
      expect(x.grad).toBeNull();
      expect(y.grad).not.toBeNull();
    });

    it(`${b.name}: a shape mismatch is a RangeError naming both shapes; int32 is a TypeError`, () => {
      const x = ctx.tensor(new Float32Array(6), [2, 3]);
      const y = ctx.tensor(new Float32Array(6), [3, 2]);
      expect(() => b.op(x, y)).toThrow(RangeError);
      expect(() => b.op(x, y)).toThrow(/\[2, 3\].*\[3, 2\]/);
      const ids = ctx.tensor(new Int32Array(6), [2, 3]);
      expect(() => b.op(x, ids)).toThrow(TypeError);
    });
  }

  it('a chain of ops: gradient vs finite differences', async () => {
    // y = sigmoid(a·b + tanh(a)) · relu(2b)
    const n = 29;
    const a0 = randomArray(n, 60);
    const b0 = awayFromZero(randomArray(n, 61));
    const w = randomArray(n, 62);
    const cpu = (a: ArrayLike<number>, b: ArrayLike<number>) =>
      Array.from({ length: n }, (_, i) => (1 / (1 + Math.exp(-(a[i] * b[i] + Math.tanh(a[i]))))) * Math.max(2 * b[i], 0));
    const a = ctx.tensor(a0, [n]);
    const b = ctx.tensor(b0, [n]);
    a.requiresGrad = true;
    b.requiresGrad = true;
    const y = wr.ops.mul(wr.ops.sigmoid(wr.ops.add(wr.ops.mul(a, b), wr.ops.tanh(a))), wr.ops.relu(wr.ops.scale(b, 2)));
    expectClose(await y.read(), cpu(a0, b0), 1e-5, 1e-5, 'forward');
    y.backward(ctx.tensor(w, [n]));
    expectClose(await a.grad!.read(), numericGrad((v) => dot(cpu(v, b0), w), a0), GRAD_TOL.atol, GRAD_TOL.rtol, 'da');
    expectClose(await b.grad!.read(), numericGrad((v) => dot(cpu(a0, v), w), b0), GRAD_TOL.atol, GRAD_TOL.rtol, 'db');
  });
});

describe('fill and accumulateInto', () => {
  it('fill writes every element', async () => {
    for (const shape of [[1], [13], [17, 31]]) {
      const t = ctx.tensor(randomArray(numel(shape), 70), shape);
      wr.ops.fill(t, -3.5);
      expect(Array.from(await t.read())).toEqual(new Array(numel(shape)).fill(-3.5));
      t.dispose();
    }
  });

  it('accumulateInto: dst += alpha·src', async () => {
    for (const shape of [[1], [13], [17, 31]]) {
      const n = numel(shape);
      const d0 = randomArray(n, 80);
      const s0 = randomArray(n, 81);
      const dst = ctx.tensor(d0, shape);
      const src = ctx.tensor(s0, shape);
      wr.ops.accumulateInto(dst, src);
      wr.ops.accumulateInto(dst, src, -0.5);
      expectClose(await dst.read(), Array.from(d0, (v, i) => v + 0.5 * s0[i]), 1e-6, 1e-6, `${shape}`);
      expect(() => wr.ops.accumulateInto(dst, ctx.tensor([1, 2], [2]))).toThrow(RangeError);
      dst.dispose();
      src.dispose();
    }
  });
});
