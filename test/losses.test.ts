// The losses of API.md section 11 (F.crossEntropy with reduction / ignoreIndex / labelSmoothing, F.mseLoss,
// F.l1Loss, F.binaryCrossEntropyWithLogits with posWeight, F.softmax, F.logSoftmax): outputs and the gradients of
// every input against PyTorch 1.13 (test/fixtures/loss_fns.json, made by gen_fixtures_losses.py), float64 CPU
// references checked against the same fixtures, accumulation, dispatch counts and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import fixtures from './fixtures/loss_fns.json';
import { expectClose, numericGrad, randomArray, testContext } from './helpers.js';

const F = wr.nn.functional;
type Num = number | string; // the generator writes NaN as "NaN"
const num = (v: Num): number => Number(v);
const nums = (a: readonly Num[]): number[] => a.map(num);

interface CECase {
  name: string; N: number; C: number; reduction: wr.nn.functional.Reduction; ignoreIndex: number; labelSmoothing: number;
  logits: number[]; targets: number[]; upstream: number[]; loss: Num[]; dLogits: number[];
}
interface ElementwiseCase {
  name: string; loss: 'mse' | 'l1' | 'bce'; shape: number[]; reduction: wr.nn.functional.Reduction;
  input: number[]; target: number[]; posWeight: number[] | null; upstream: number[]; out: number[]; dInput: number[]; dTarget: number[] | null;
}
interface SoftmaxCase { name: string; op: 'softmax' | 'log_softmax'; shape: number[]; x: number[]; upstream: number[]; y: number[]; dx: number[] }
const fx = fixtures as unknown as { crossEntropy: CECase[]; elementwise: ElementwiseCase[]; softmax: SoftmaxCase[] };

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

const TOL = [1e-4, 1e-4] as const; // atol, rtol

function leaf(data: ArrayLike<number>, shape: readonly number[]): wr.Tensor {
  const t = ctx.tensor(Float32Array.from(data), shape);
  t.requiresGrad = true;
  return t;
}

async function read(t: wr.Tensor): Promise<Float32Array> {
  return (await t.read()) as Float32Array;
}

// ---- float64 CPU references --------------------------------------------------------------------------------------

interface CEOptions { reduction: wr.nn.functional.Reduction; ignoreIndex: number; labelSmoothing: number }

/** PyTorch's cross_entropy in float64: per-row losses, then the reduction ('none' gives the rows). */
function cpuCrossEntropy(x: ArrayLike<number>, t: ArrayLike<number>, N: number, C: number, o: CEOptions): number[] {
  const rows: number[] = [];
  let kept = 0;
  for (let n = 0; n < N; n++) {
    if (t[n] === o.ignoreIndex) { rows.push(0); continue; }
    kept++;
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, x[n * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(x[n * C + c] - m);
    const lse = m + Math.log(s);
    let smooth = 0;
    for (let c = 0; c < C; c++) smooth += lse - x[n * C + c];
    rows.push((1 - o.labelSmoothing) * (lse - x[n * C + t[n]]) + (o.labelSmoothing / C) * smooth);
  }
  if (o.reduction === 'none') return rows;
  const total = rows.reduce((a, b) => a + b, 0);
  return [o.reduction === 'mean' ? total / kept : total];
}

const sigmoidLog = (z: number): number => Math.min(z, 0) - Math.log1p(Math.exp(-Math.abs(z)));

/** The elementwise losses in float64, before reduction. */
function cpuElementwise(kind: ElementwiseCase['loss'], x: ArrayLike<number>, y: ArrayLike<number>, pw: ArrayLike<number> | null, C: number): number[] {
  return Array.from({ length: x.length }, (_, i) => {
    if (kind === 'mse') return (x[i] - y[i]) ** 2;
    if (kind === 'l1') return Math.abs(x[i] - y[i]);
    const w = pw ? pw[i % C] : 1;
    return -(w * y[i] * sigmoidLog(x[i]) + (1 - y[i]) * sigmoidLog(-x[i]));
  });
}

function reduce(values: number[], reduction: wr.nn.functional.Reduction): number[] {
  if (reduction === 'none') return values;
  const total = values.reduce((a, b) => a + b, 0);
  return [reduction === 'mean' ? total / values.length : total];
}

function cpuSoftmax(x: ArrayLike<number>, C: number, log: boolean): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length / C; r++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, x[r * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(x[r * C + c] - m);
    for (let c = 0; c < C; c++) out.push(log ? x[r * C + c] - m - Math.log(s) : Math.exp(x[r * C + c] - m) / s);
  }
  return out;
}

/** expectClose where a NaN expected (PyTorch's 0 / 0 mean over no rows) must be NaN. */
function expectLoss(actual: ArrayLike<number>, expected: number[], atol: number, rtol: number, what: string): void {
  const nan = expected.map(Number.isNaN);
  expect(Array.from(actual, Number.isNaN), `${what}: NaN positions`).toEqual(nan);
  expectClose(Array.from(actual).filter((_, i) => !nan[i]), expected.filter((_, i) => !nan[i]), atol, rtol, what);
}

const weighted = (values: number[], w: ArrayLike<number>): number => values.reduce((a, v, i) => a + v * w[i], 0);

// ---- crossEntropy ------------------------------------------------------------------------------------------------

describe('crossEntropy against PyTorch (fixtures/loss_fns.json)', () => {
  it('has the fixture cases: every reduction, ignoreIndex in and out of [0, C), smoothing 0 to 1, large logits', () => {
    expect(fx.crossEntropy.length).toBeGreaterThanOrEqual(15);
    expect(new Set(fx.crossEntropy.map((c) => c.reduction))).toEqual(new Set(['mean', 'sum', 'none']));
    expect(fx.crossEntropy.some((c) => c.C > 1024 && c.labelSmoothing > 0)).toBe(true);
  });

  for (const c of fx.crossEntropy) for (const variant of ['workgroup', 'rowwise'] as const) {
    it(`${c.name} (${variant}): loss and dLogits within 1e-4`, async () => {
      const logits = leaf(c.logits, [c.N, c.C]);
      const targets = ctx.tensor(Int32Array.from(c.targets), [c.N]);
      const opts = { reduction: c.reduction, ignoreIndex: c.ignoreIndex, labelSmoothing: c.labelSmoothing, variant };
      const loss = F.crossEntropy(logits, targets, opts);
      expect(loss.shape).toEqual(c.reduction === 'none' ? [c.N] : []);
      expectLoss(await read(loss), nums(c.loss), ...TOL, 'loss');
      loss.backward(ctx.tensor(c.upstream, loss.shape));
      expectClose(await read(logits.grad!), c.dLogits, ...TOL, 'dLogits');
      for (const t of [logits.grad!, logits, targets, loss]) t.dispose();
    });
  }

  it('the float64 CPU reference reproduces every fixture loss', () => {
    for (const c of fx.crossEntropy) {
      const ref = cpuCrossEntropy(c.logits, c.targets, c.N, c.C, c);
      expectLoss(ref, nums(c.loss), 1e-5, 1e-6, c.name);
    }
  });
});

describe('crossEntropy beyond the fixtures', () => {
  const [N, C] = [9, 5];
  const x0 = randomArray(N * C, 31, -3, 3);
  const t0 = Int32Array.from([0, 4, 2, -100, 1, 3, 3, -100, 0]);

  it('gradient vs finite differences of the CPU reference (mean, ignoreIndex, smoothing 0.2)', async () => {
    const o: CEOptions = { reduction: 'mean', ignoreIndex: -100, labelSmoothing: 0.2 };
    const logits = leaf(x0, [N, C]);
    const loss = F.crossEntropy(logits, ctx.tensor(t0, [N]), o);
    expectClose(await read(loss), cpuCrossEntropy(x0, t0, N, C, o), 1e-5, 1e-5, 'loss');
    loss.backward();
    expectClose(await read(logits.grad!), numericGrad((v) => cpuCrossEntropy(v, t0, N, C, o)[0], x0), 1e-4, 1e-3, 'dLogits');
  });

  it("gradients of a 'none' and a 'sum' loss on the same logits accumulate", async () => {
    const w = randomArray(N, 32);
    const none: CEOptions = { reduction: 'none', ignoreIndex: 2, labelSmoothing: 0.1 };
    const sum: CEOptions = { reduction: 'sum', ignoreIndex: -100, labelSmoothing: 0 };
    const t1 = Int32Array.from([0, 4, 2, 2, 1, 3, 3, 0, 0]);
    const logits = leaf(x0, [N, C]);
    const targets = ctx.tensor(t1, [N]);
    F.crossEntropy(logits, targets, none).backward(ctx.tensor(w, [N]));
    F.crossEntropy(logits, targets, sum).backward();
    const f = (v: Float64Array) => weighted(cpuCrossEntropy(v, t1, N, C, none), w) + cpuCrossEntropy(v, t1, N, C, sum)[0];
    expectClose(await read(logits.grad!), numericGrad(f, x0), 1e-4, 1e-3, 'accumulated dLogits');
  });

  it('keeps the old call: mean over all rows, as before', async () => {
    const t1 = Int32Array.from([0, 4, 2, 2, 1, 3, 3, 0, 0]);
    const loss = wr.ops.crossEntropy(ctx.tensor(x0, [N, C]), ctx.tensor(t1, [N]));
    expectClose(await read(loss), cpuCrossEntropy(x0, t1, N, C, { reduction: 'mean', ignoreIndex: -100, labelSmoothing: 0 }), 1e-5, 1e-5);
  });
});

// ---- mseLoss, l1Loss, binaryCrossEntropyWithLogits -------------------------------------------------------------

describe('elementwise losses against PyTorch (fixtures/loss_fns.json)', () => {
  it('has every loss with every reduction, posWeight and target gradients', () => {
    for (const kind of ['mse', 'l1', 'bce']) {
      expect(new Set(fx.elementwise.filter((c) => c.loss === kind).map((c) => c.reduction)), kind).toEqual(new Set(['mean', 'sum', 'none']));
    }
    expect(fx.elementwise.some((c) => c.posWeight && c.dTarget)).toBe(true);
  });

  const call = { mse: F.mseLoss, l1: F.l1Loss, bce: F.binaryCrossEntropyWithLogits } as const;
  for (const c of fx.elementwise) {
    it(`${c.name}: output, dInput${c.dTarget ? ' and dTarget' : ''} within 1e-4`, async () => {
      const input = leaf(c.input, c.shape);
      const target = ctx.tensor(Float32Array.from(c.target), c.shape);
      if (c.dTarget) target.requiresGrad = true;
      const posWeight = c.posWeight ? ctx.tensor(c.posWeight, [c.posWeight.length]) : undefined;
      const out = c.loss === 'bce'
        ? F.binaryCrossEntropyWithLogits(input, target, { reduction: c.reduction, posWeight })
        : call[c.loss](input, target, { reduction: c.reduction });
      expect(out.shape).toEqual(c.reduction === 'none' ? c.shape : []);
      expectClose(await read(out), c.out, ...TOL, 'output');
      out.backward(ctx.tensor(c.upstream, out.shape));
      expectClose(await read(input.grad!), c.dInput, ...TOL, 'dInput');
      if (c.dTarget) expectClose(await read(target.grad!), c.dTarget, ...TOL, 'dTarget');
      else expect(target.grad).toBeNull();
    });
  }

  it('the float64 CPU reference reproduces every fixture output', () => {
    for (const c of fx.elementwise) {
      const ref = reduce(cpuElementwise(c.loss, c.input, c.target, c.posWeight, c.shape[c.shape.length - 1]), c.reduction);
      expectClose(ref, c.out, 1e-5, 1e-6, c.name);
    }
  });
});

describe('elementwise losses beyond the fixtures', () => {
  it('BCE gradients vs finite differences, posWeight, both inputs, accumulating into an existing gradient', async () => {
    const [B, C] = [6, 4];
    const x0 = randomArray(B * C, 41, -4, 4);
    const y0 = randomArray(B * C, 42, 0, 1);
    const pw0 = Float32Array.from([0.5, 1, 2, 3.5]);
    const x = leaf(x0, [B, C]);
    const y = leaf(y0, [B, C]);
    const pw = ctx.tensor(pw0, [C]);
    const mean = (xv: ArrayLike<number>, yv: ArrayLike<number>) => reduce(cpuElementwise('bce', xv, yv, pw0, C), 'mean')[0];
    // Two losses: the second backward accumulates into the gradients the first made.
    F.binaryCrossEntropyWithLogits(x, y, { posWeight: pw }).backward();
    F.mseLoss(x, y, { reduction: 'sum' }).backward();
    const total = (xv: ArrayLike<number>, yv: ArrayLike<number>) => mean(xv, yv) + reduce(cpuElementwise('mse', xv, yv, null, C), 'sum')[0];
    expectClose(await read(x.grad!), numericGrad((v) => total(v, y0), x0), 1e-4, 1e-3, 'dx');
    expectClose(await read(y.grad!), numericGrad((v) => total(x0, v), y0), 1e-4, 1e-3, 'dy');
  });

  it('a tensor used as both input and target gets the sum of both gradients (zero for mse)', async () => {
    const x = leaf([1, -2, 3], [3]);
    F.mseLoss(x, x).backward();
    expect(Array.from(await read(x.grad!))).toEqual([0, 0, 0]);
    const z = leaf([0.5, -1, 2], [3]);
    F.binaryCrossEntropyWithLogits(z, z, { reduction: 'sum' }).backward();
    const f = (v: ArrayLike<number>) => reduce(cpuElementwise('bce', v, v, null, 3), 'sum')[0];
    expectClose(await read(z.grad!), numericGrad(f, [0.5, -1, 2]), 1e-4, 1e-3, 'bce(z, z)');
  });
});

// ---- softmax, logSoftmax -----------------------------------------------------------------------------------------

describe('softmax and logSoftmax against PyTorch (fixtures/loss_fns.json)', () => {
  for (const c of fx.softmax) for (const variant of ['workgroup', 'rowwise'] as const) {
    it(`${c.name} (${variant}): output and dx within 1e-4`, async () => {
      const x = leaf(c.x, c.shape);
      const y = (c.op === 'softmax' ? F.softmax : F.logSoftmax)(x, { variant });
      expect(y.shape).toEqual(c.shape);
      expectClose(await read(y), c.y, ...TOL, 'y');
      y.backward(ctx.tensor(c.upstream, c.shape));
      expectClose(await read(x.grad!), c.dx, ...TOL, 'dx');
    });
  }

  it('the float64 CPU reference reproduces every fixture output', () => {
    for (const c of fx.softmax) expectClose(cpuSoftmax(c.x, c.shape[c.shape.length - 1], c.op === 'log_softmax'), c.y, 1e-6, 1e-6, c.name);
  });

  it('gradients of softmax and logSoftmax of the same input accumulate (vs finite differences)', async () => {
    const [R, C] = [3, 6];
    const x0 = randomArray(R * C, 51, -2, 2);
    const w1 = randomArray(R * C, 52);
    const w2 = randomArray(R * C, 53);
    const x = leaf(x0, [R, C]);
    F.softmax(x).backward(ctx.tensor(w1, [R, C]));
    F.logSoftmax(x).backward(ctx.tensor(w2, [R, C]));
    const f = (v: ArrayLike<number>) => weighted(cpuSoftmax(v, C, false), w1) + weighted(cpuSoftmax(v, C, true), w2);
    expectClose(await read(x.grad!), numericGrad(f, x0), 1e-4, 1e-3);
  });
});

// ---- dispatches --------------------------------------------------------------------------------------------------

describe('dispatch counts', () => {
  it("one dispatch forward and one backward per loss ('mean' / 'sum' cross-entropy: two forward)", async () => {
    ctx.poisonUninitialized = false; // its NaN fills are dispatches too
    try {
      const count = (fn: () => void): number => {
        const before = ctx.dispatchCount;
        fn();
        return ctx.dispatchCount - before;
      };
      const x = leaf(randomArray(12, 1), [4, 3]);
      const y = ctx.tensor(randomArray(12, 2, 0, 1), [4, 3]);
      const t = ctx.tensor(Int32Array.from([0, 1, 2, 1]), [4]);
      let out!: wr.Tensor;
      const cases: [string, () => wr.Tensor, number][] = [
        ['crossEntropy none', () => F.crossEntropy(x, t, { reduction: 'none', labelSmoothing: 0.1 }), 1],
        ['crossEntropy mean', () => F.crossEntropy(x, t, { ignoreIndex: 1 }), 2],
        ['mseLoss', () => F.mseLoss(x, y), 1],
        ['l1Loss none', () => F.l1Loss(x, y, { reduction: 'none' }), 1],
        ['binaryCrossEntropyWithLogits', () => F.binaryCrossEntropyWithLogits(x, y, { posWeight: ctx.tensor([1, 2, 3], [3]) }), 1],
        ['softmax', () => F.softmax(x), 1],
        ['logSoftmax', () => F.logSoftmax(x), 1],
      ];
      for (const [name, make, forward] of cases) {
        expect(count(() => (out = make())), `${name} forward`).toBe(forward);
        x.grad?.dispose();
        x.grad = null;
        if (out.shape.length === 0) {
          expect(count(() => out.backward()), `${name} backward`).toBe(1);
        } else {
          // A given seed is copied into the root's gradient first (a fill and an accumulate of the tape's own).
          const seed = ctx.tensor(new Float32Array(out.numel).fill(1), out.shape);
          expect(count(() => out.backward(seed)), `${name} backward`).toBe(2 + 1);
        }
      }
      await ctx.sync();
    } finally {
      ctx.poisonUninitialized = true;
    }
  });
});

// ---- bad input ---------------------------------------------------------------------------------------------------

describe('bad input: a clear error naming the problem, nothing recorded', () => {
  const x = () => ctx.tensor(randomArray(12, 3), [4, 3]);
  const t = () => ctx.tensor(Int32Array.from([0, 1, 2, 1]), [4]);

  it('crossEntropy: reduction, ignoreIndex, labelSmoothing, targets out of range, shapes', () => {
    const logits = x();
    logits.requiresGrad = true;
    const targets = t();
    const high = ctx.tensor(Int32Array.from([0, 3, 1, 1]), [4]);
    const ignored = ctx.tensor(Int32Array.from([0, -100, 1, 7]), [4]);
    const short = ctx.tensor(Int32Array.from([0, 1, 2]), [3]);
    const flat = ctx.tensor(randomArray(4, 1), [4]);
    const tensors = ctx.memoryStats().liveTensors;
    expect(() => F.crossEntropy(logits, targets, { reduction: 'avg' as 'mean' })).toThrow(/reduction must be 'mean', 'sum' or 'none', got "avg"/);
    expect(() => F.crossEntropy(logits, targets, { ignoreIndex: 1.5 })).toThrow(/ignoreIndex must be a 32-bit integer/);
    for (const labelSmoothing of [-0.1, 1.5, NaN]) {
      expect(() => F.crossEntropy(logits, targets, { labelSmoothing }), String(labelSmoothing)).toThrow(/labelSmoothing must be in \[0, 1\]/);
    }
    expect(() => F.crossEntropy(logits, high)).toThrow(RangeError);
    expect(() => F.crossEntropy(logits, high)).toThrow(/target 3 at index 1 is outside \[0, 3\) and is not ignoreIndex \(-100\)/);
    expect(() => F.crossEntropy(logits, ignored, { ignoreIndex: 7 })).toThrow(/target -100 at index 1/);
    expect(() => F.crossEntropy(logits, short)).toThrow(/targets must be int32 \[4\]/);
    expect(() => F.crossEntropy(flat, targets)).toThrow(/logits must be float32 \[N, C\]/);
    expect(ctx.memoryStats().liveTensors).toBe(tensors); // no output was made
    expect(logits.grad).toBeNull();
  });

  it('an ignoreIndex inside [0, C) is a valid target value', async () => {
    const loss = F.crossEntropy(x(), ctx.tensor(Int32Array.from([2, 2, 2, 2]), [4]), { ignoreIndex: 2, reduction: 'sum' });
    expect(Array.from(await read(loss))).toEqual([0]);
  });

  it('mseLoss, l1Loss, binaryCrossEntropyWithLogits: shapes, dtypes, reduction, posWeight', () => {
    const input = x();
    input.requiresGrad = true;
    const wrong = ctx.tensor(randomArray(12, 4), [3, 4]);
    const ints = ctx.tensor(Int32Array.from({ length: 12 }), [4, 3]);
    const short = ctx.tensor([1, 2], [2]);
    const square = ctx.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const learnable = leaf([1, 2, 3], [3]);
    const tensors = ctx.memoryStats().liveTensors;
    for (const [name, fn] of [['mseLoss', F.mseLoss], ['l1Loss', F.l1Loss], ['binaryCrossEntropyWithLogits', F.binaryCrossEntropyWithLogits]] as const) {
      expect(() => fn(input, wrong), name).toThrow(new RegExp(`${name}: target \\[3, 4\\] must have the input's shape \\[4, 3\\]`));
      expect(() => fn(input, input, { reduction: 'max' as 'sum' }), name).toThrow(new RegExp(`${name}: reduction must be`));
      expect(() => fn(input, ints), name).toThrow(/target must be float32/);
    }
    const bce = F.binaryCrossEntropyWithLogits;
    expect(() => bce(input, input, { posWeight: short })).toThrow(/posWeight must be float32 \[3\] \(the input's last axis\), got \[2\]/);
    expect(() => bce(input, input, { posWeight: square })).toThrow(/posWeight must be float32 \[3\]/);
    expect(() => bce(input, input, { posWeight: learnable })).toThrow(/posWeight cannot require grad/);
    expect(ctx.memoryStats().liveTensors).toBe(tensors); // no output was made
    expect(input.grad).toBeNull();
  });

  it('softmax / logSoftmax: a scalar or an int32 tensor', () => {
    expect(() => F.softmax(ctx.tensor([1], []))).toThrow(/softmax: needs at least one axis/);
    expect(() => F.logSoftmax(ctx.tensor(Int32Array.from([1, 2]), [2]))).toThrow(/logSoftmax: expected a float32 tensor/);
  });
});
