// matmul: all four transpose combinations, bias, shapes of 1, primes and non-multiples of the 64×64 tile
// (and of the K slice of 16); gradients of A, B and bias against central finite differences in float64.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { dot, expectClose, numericGrad, randomArray, testContext } from './helpers.js';

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

const COMBOS = [
  { transA: false, transB: false },
  { transA: true, transB: false },
  { transA: false, transB: true },
  { transA: true, transB: true },
];
const comboName = (c: { transA: boolean; transB: boolean }) => `${c.transA ? 'Aᵀ' : 'A'}·${c.transB ? 'Bᵀ' : 'B'}`;

/** [M, K, N] */
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 5],
  [65, 3, 67],
  [64, 64, 64],
  [5, 1, 7], // K = 1
  [1, 37, 3], // one row, K not a multiple of 16
  [19, 33, 70],
];

/** Stored shape of A ([M, K], or [K, M] if transposed) and B ([K, N], or [N, K]). */
const aShape = (M: number, K: number, t: boolean) => (t ? [K, M] : [M, K]);
const bShape = (K: number, N: number, t: boolean) => (t ? [N, K] : [K, N]);

/** op(A)·op(B) + bias in float64 from the stored layouts. */
function cpuMatmul(a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number,
  transA: boolean, transB: boolean, bias?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = bias ? bias[n] : 0;
      for (let k = 0; k < K; k++) {
        const av = transA ? a[k * M + m] : a[m * K + k];
        const bv = transB ? b[n * K + k] : b[k * N + n];
        s += av * bv;
      }
      out[m * N + n] = s;
    }
  }
  return out;
}

describe('matmul forward', () => {
  for (const combo of COMBOS) {
    it(`${comboName(combo)} vs CPU for every shape`, async () => {
      for (const [M, K, N] of SHAPES) {
        const a0 = randomArray(M * K, M * 1000 + K);
        const b0 = randomArray(K * N, K * 1000 + N);
        const a = ctx.tensor(a0, aShape(M, K, combo.transA));
        const b = ctx.tensor(b0, bShape(K, N, combo.transB));
        const c = wr.ops.matmul(a, b, combo);
        expect(c.shape).toEqual([M, N]);
        const expected = cpuMatmul(a0, b0, M, K, N, combo.transA, combo.transB);
        expectClose(await c.read(), expected, 1e-5, 1e-5, `${comboName(combo)} [${M}, ${K}, ${N}]`);
        for (const t of [a, b, c]) t.dispose();
      }
    });

    it(`${comboName(combo)} with bias`, async () => {
      for (const [M, K, N] of [[1, 1, 1], [7, 13, 5], [65, 3, 67]] as const) {
        const a0 = randomArray(M * K, 7 * M + K);
        const b0 = randomArray(K * N, 7 * K + N);
        const bias0 = randomArray(N, N);
        const a = ctx.tensor(a0, aShape(M, K, combo.transA));
        const b = ctx.tensor(b0, bShape(K, N, combo.transB));
        const bias = ctx.tensor(bias0, [N]);
        const c = wr.ops.matmul(a, b, { ...combo, bias });
        const expected = cpuMatmul(a0, b0, M, K, N, combo.transA, combo.transB, bias0);
        expectClose(await c.read(), expected, 1e-5, 1e-5, `${comboName(combo)} + bias [${M}, ${K}, ${N}]`);
        for (const t of [a, b, bias, c]) t.dispose();
      }
    });
  }

  it('K = 0 gives zeros (or the bias)', async () => {
    const a = ctx.tensor(new Float32Array(0), [3, 0]);
    const b = ctx.tensor(new Float32Array(0), [0, 2]);
    expect(Array.from(await wr.ops.matmul(a, b).read())).toEqual([0, 0, 0, 0, 0, 0]);
    const bias = ctx.tensor([1, 2], [2]);
    expect(Array.from(await wr.ops.matmul(a, b, { bias }).read())).toEqual([1, 2, 1, 2, 1, 2]);
  });

  it('matmulInto with accumulate adds onto out', async () => {
    const [M, K, N] = [7, 13, 5];
    const a0 = randomArray(M * K, 1);
    const b0 = randomArray(K * N, 2);
    const o0 = randomArray(M * N, 3);
    const a = ctx.tensor(a0, [M, K]);
    const b = ctx.tensor(b0, [K, N]);
    const out = ctx.tensor(o0, [M, N]);
    wr.ops.matmulInto(out, a, b, M, N, K, { accumulate: true });
    const expected = cpuMatmul(a0, b0, M, K, N, false, false).map((v, i) => v + o0[i]);
    expectClose(await out.read(), expected, 1e-5, 1e-5);
  });

  it('a shape mismatch throws a RangeError naming both shapes', () => {
    const a = ctx.tensor(new Float32Array(6), [2, 3]);
    const b = ctx.tensor(new Float32Array(20), [4, 5]);
    expect(() => wr.ops.matmul(a, b)).toThrow(RangeError);
    expect(() => wr.ops.matmul(a, b)).toThrow(/\[2, 3\].*\[4, 5\]/);
    expect(() => wr.ops.matmul(a, b, { transA: true, transB: true })).toThrow(/\[2, 3\]ᵀ.*\[4, 5\]ᵀ/);
    const v = ctx.tensor(new Float32Array(3), [3]);
    expect(() => wr.ops.matmul(v, b)).toThrow(RangeError);
    expect(() => wr.ops.matmul(a, v)).toThrow(/\[3\]/);
    const c = ctx.tensor(new Float32Array(15), [3, 5]);
    expect(() => wr.ops.matmul(a, c, { bias: ctx.tensor(new Float32Array(4), [4]) })).toThrow(RangeError);
    expect(() => wr.ops.matmul(a, c, { bias: ctx.tensor(new Float32Array(4), [4]) })).toThrow(/\[4\]/);
    expect(() => wr.ops.matmul(a, ctx.tensor(new Int32Array(15), [3, 5]))).toThrow(TypeError);
  });
});

describe('both kernel variants (tiled for GPUs, simple for CPU-emulated adapters)', () => {
  for (const variant of ['tiled', 'simple'] as const) {
    it(`${variant}: every transpose combination with bias and accumulate vs CPU`, async () => {
      for (const combo of COMBOS) {
        for (const [M, K, N] of [[65, 3, 67], [19, 33, 70], [1, 1, 1]] as const) {
          const a0 = randomArray(M * K, 3 * M + K);
          const b0 = randomArray(K * N, 5 * K + N);
          const bias0 = randomArray(N, 11 * N);
          const start0 = randomArray(M * N, 13 * M);
          const a = ctx.tensor(a0, aShape(M, K, combo.transA));
          const b = ctx.tensor(b0, bShape(K, N, combo.transB));
          const bias = ctx.tensor(bias0, [N]);
          const out = ctx.tensor(start0, [M, N]);
          wr.ops.matmulInto(out, a, b, M, N, K, { ...combo, bias, accumulate: true, variant });
          const expected = cpuMatmul(a0, b0, M, K, N, combo.transA, combo.transB, bias0).map((v, i) => v + start0[i]);
          expectClose(await out.read(), expected, 1e-5, 1e-5, `${variant} ${comboName(combo)} [${M}, ${K}, ${N}]`);
          for (const t of [a, b, bias, out]) t.dispose();
        }
      }
    });
  }
});

describe('matmul gradients', () => {
  /** C = op(A)·op(B) + bias, upstream gradient W: A, B and bias gradients vs finite differences of Σ W·C. */
  async function checkGrads(M: number, K: number, N: number, combo: { transA: boolean; transB: boolean }, withBias: boolean) {
    const a0 = randomArray(M * K, 3 * M + K);
    const b0 = randomArray(K * N, 5 * K + N);
    const bias0 = randomArray(N, 11 * N);
    const w = randomArray(M * N, M * N);
    const a = ctx.tensor(a0, aShape(M, K, combo.transA));
    const b = ctx.tensor(b0, bShape(K, N, combo.transB));
    const bias = withBias ? ctx.tensor(bias0, [N]) : null;
    for (const t of [a, b, bias]) if (t) t.requiresGrad = true;
    const c = wr.ops.matmul(a, b, { ...combo, bias });
    c.backward(ctx.tensor(w, [M, N]));
    const f = (av: ArrayLike<number>, bv: ArrayLike<number>, biasv?: ArrayLike<number>) =>
      dot(cpuMatmul(av, bv, M, K, N, combo.transA, combo.transB, biasv), w);
    const what = `${comboName(combo)} [${M}, ${K}, ${N}]`;
    const tol = [1e-4, 1e-3] as const;
    expectClose(await a.grad!.read(), numericGrad((v) => f(v, b0, withBias ? bias0 : undefined), a0), ...tol, `dA ${what}`);
    expectClose(await b.grad!.read(), numericGrad((v) => f(a0, v, withBias ? bias0 : undefined), b0), ...tol, `dB ${what}`);
    if (bias) expectClose(await bias.grad!.read(), numericGrad((v) => f(a0, b0, v), bias0), ...tol, `dBias ${what}`);
    for (const t of [a, b, bias, c]) t?.dispose();
  }

  for (const combo of COMBOS) {
    it(`${comboName(combo)}: dA, dB and dBias vs finite differences`, async () => {
      await checkGrads(1, 1, 1, combo, true);
      await checkGrads(7, 13, 5, combo, true);
      await checkGrads(5, 1, 7, combo, false);
      await checkGrads(65, 3, 67, combo, true);
    });
  }

  it('[64, 64]·[64, 64]: dA and dB vs the CPU chain rule (dA = W·Bᵀ, dB = Aᵀ·W)', async () => {
    // Finite differences over 4096 inputs are too slow in JS; the chain rule in float64 is the reference here,
    // and the finite-difference tests above check that rule on smaller shapes.
    const n = 64;
    const a0 = randomArray(n * n, 91);
    const b0 = randomArray(n * n, 92);
    const w = randomArray(n * n, 93);
    for (const combo of COMBOS) {
      const a = ctx.tensor(a0, [n, n]);
      const b = ctx.tensor(b0, [n, n]);
      a.requiresGrad = true;
      b.requiresGrad = true;
      wr.ops.matmul(a, b, combo).backward(ctx.tensor(w, [n, n]));
      // Gradients w.r.t. op(A) and op(B), then stored back in the stored layouts.
      const opA = combo.transA ? transpose(a0, n, n) : a0;
      const opB = combo.transB ? transpose(b0, n, n) : b0;
      const dOpA = cpuMatmul(w, opB, n, n, n, false, true);
      const dOpB = cpuMatmul(opA, w, n, n, n, true, false);
      expectClose(await a.grad!.read(), combo.transA ? transpose(dOpA, n, n) : dOpA, 1e-4, 1e-4, `dA ${comboName(combo)}`);
      expectClose(await b.grad!.read(), combo.transB ? transpose(dOpB, n, n) : dOpB, 1e-4, 1e-4, `dB ${comboName(combo)}`);
    }
  });

  it('the same tensor as both operands: A·Aᵀ', async () => {
    const [M, K] = [6, 11];
    const a0 = randomArray(M * K, 101);
    const w = randomArray(M * M, 102);
    const a = ctx.tensor(a0, [M, K]);
    a.requiresGrad = true;
    wr.ops.matmul(a, a, { transB: true }).backward(ctx.tensor(w, [M, M]));
    const expected = numericGrad((v) => dot(cpuMatmul(v, v, M, K, M, false, true), w), a0);
    expectClose(await a.grad!.read(), expected, 1e-4, 1e-3);
  });

  it('a chain: tanh(X·W1 + b1)·W2ᵀ, every parameter vs finite differences', async () => {
    const [B, I, H, O] = [3, 5, 7, 4];
    const x0 = randomArray(B * I, 111);
    const w10 = randomArray(I * H, 112);
    const b10 = randomArray(H, 113);
    const w20 = randomArray(O * H, 114);
    const up = randomArray(B * O, 115);
    const cpu = (x: ArrayLike<number>, w1: ArrayLike<number>, b1: ArrayLike<number>, w2: ArrayLike<number>) =>
      dot(cpuMatmul(cpuMatmul(x, w1, B, I, H, false, false, b1).map(Math.tanh), w2, B, H, O, false, true), up);
    const x = ctx.tensor(x0, [B, I]);
    const w1 = ctx.tensor(w10, [I, H]);
    const b1 = ctx.tensor(b10, [H]);
    const w2 = ctx.tensor(w20, [O, H]);
    for (const t of [x, w1, b1, w2]) t.requiresGrad = true;
    const y = wr.ops.matmul(wr.ops.tanh(wr.ops.matmul(x, w1, { bias: b1 })), w2, { transB: true });
    y.backward(ctx.tensor(up, [B, O]));
    const tol = [1e-4, 1e-3] as const;
    expectClose(await x.grad!.read(), numericGrad((v) => cpu(v, w10, b10, w20), x0), ...tol, 'dX');
    expectClose(await w1.grad!.read(), numericGrad((v) => cpu(x0, v, b10, w20), w10), ...tol, 'dW1');
    expectClose(await b1.grad!.read(), numericGrad((v) => cpu(x0, w10, v, w20), b10), ...tol, 'db1');
    expectClose(await w2.grad!.read(), numericGrad((v) => cpu(x0, w10, b10, v), w20), ...tol, 'dW2');
  });
});

function transpose(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}
