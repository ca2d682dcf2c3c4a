// Optimizers (SGD, Adam) against PyTorch trajectories (test/fixtures/optim.json, made by gen_fixtures.py) and a
// float32 CPU transcription of torch.optim; gradient clipping against torch.nn.utils.clip_grad_norm_'s formula.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import { Adam, SGD, type Optimizer } from '../src/optim/index.js';
import { clipGradNorm } from '../src/nn/utils.js';
import optimFixtures from './fixtures/optim.json';
import { expectClose, randomArray, testContext } from './helpers.js';

interface OptimCase {
  name: string;
  optimizer: 'sgd' | 'adam';
  lr: number;
  betas: [number, number] | null;
  eps: number | null;
  momentum: number;
  weightDecay: number;
  params0: number[];
  gradsPerStep: number[][];
  paramsAfter: number[][];
}
const cases = (optimFixtures as { cases: OptimCase[] }).cases;

let ctx: wr.Context;
beforeAll(async () => {
  ctx = await testContext();
});
afterAll(() => ctx?.destroy());

const f = Math.fround;

function param(data: ArrayLike<number>, shape: number[] = [data.length]): wr.Parameter {
  return new wr.Parameter(ctx.tensor(Float32Array.from(data), shape));
}

async function readF32(t: wr.Tensor): Promise<Float32Array> {
  return (await t.read()) as Float32Array;
}

// ---- float32 CPU references, operation by operation as torch.optim's single-tensor code ----------------------

interface AdamRefOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay?: number;
}

/** One parameter's Adam trajectory: returns the parameter after each step. */
function adamReference(p0: ArrayLike<number>, grads: ArrayLike<number>[], o: AdamRefOptions): Float32Array[] {
  const [b1, b2] = o.betas;
  const p = Float32Array.from(p0);
  const m = new Float32Array(p.length);
  const v = new Float32Array(p.length);
  const out: Float32Array[] = [];
  const w = f(1 - b1);
  grads.forEach((g0, k) => {
    const t = k + 1;
    const stepSize = f(o.lr / (1 - b1 ** t));
    const bc2Sqrt = f(Math.sqrt(1 - b2 ** t));
    for (let i = 0; i < p.length; i++) {
      let g = f(g0[i]);
      if (o.weightDecay) g = f(g + f(f(o.weightDecay) * p[i]));
      m[i] = Math.abs(w) < 0.5 ? f(m[i] + f(w * f(g - m[i]))) : f(g - f(f(g - m[i]) * f(1 - w)));
      v[i] = f(f(v[i] * f(b2)) + f(f(f(1 - b2) * g) * g));
      const denom = f(f(f(Math.sqrt(v[i])) / bc2Sqrt) + f(o.eps));
      p[i] = f(p[i] + f(f(-stepSize * m[i]) / denom));
    }
    out.push(Float32Array.from(p));
  });
  return out;
}

interface SGDRefOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

function sgdReference(p0: ArrayLike<number>, grads: ArrayLike<number>[], o: SGDRefOptions): Float32Array[] {
  const p = Float32Array.from(p0);
  const buf = new Float32Array(p.length);
  const momentum = o.momentum ?? 0;
  const out: Float32Array[] = [];
  grads.forEach((g0, k) => {
    for (let i = 0; i < p.length; i++) {
      let d = f(g0[i]);
      if (o.weightDecay) d = f(d + f(f(o.weightDecay) * p[i]));
      if (momentum !== 0) {
        buf[i] = k === 0 ? d : f(f(buf[i] * f(momentum)) + f(f(1 - (o.dampening ?? 0)) * d));
        d = o.nesterov ? f(d + f(f(momentum) * buf[i])) : buf[i];
      }
      p[i] = f(p[i] + f(f(-o.lr) * d));
    }
    out.push(Float32Array.from(p));
  });
  return out;
}

/** Steps an optimizer over a trajectory, setting p.grad by hand each step; returns the parameter after each. */
async function runTrajectory(opt: Optimizer, p: wr.Parameter, grads: ArrayLike<number>[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const g of grads) {
    opt.zeroGrad();
    p.grad = ctx.tensor(Float32Array.from(g), p.shape);
    opt.step();
    out.push(await readF32(p));
  }
  return out;
}

// ---- PyTorch fixtures -----------------------------------------------------------------------------------------

describe('optimizers against PyTorch (fixtures/optim.json)', () => {
  it('has the expected fixture cases', () => {
    expect(cases.map((c) => c.optimizer).sort()).toEqual(['adam', 'adam', 'sgd']);
  });

  for (const c of cases) {
    it(`${c.name}: three steps match torch.optim`, async () => {
      const p = param(c.params0);
      const opt =
        c.optimizer === 'adam'
          ? new Adam([p], { lr: c.lr, betas: c.betas!, eps: c.eps!, weightDecay: c.weightDecay })
          : new SGD([p], { lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay });
      const after = await runTrajectory(opt, p, c.gradsPerStep);
      const atol = c.optimizer === 'adam' ? 1e-5 : 1e-6;
      after.forEach((got, k) => expectClose(got, c.paramsAfter[k], atol, 1e-6, `${c.name} step ${k + 1}`));
      // The parameter really moved (the fixture is not a no-op).
      expect(Math.abs(after[2][0] - c.params0[0])).toBeGreaterThan(1e-3);
      opt.dispose();
      p.grad?.dispose();
      p.dispose();
    });

    it(`${c.name}: the CPU float32 reference reproduces the fixture`, () => {
      const ref =
        c.optimizer === 'adam'
          ? adamReference(c.params0, c.gradsPerStep, { lr: c.lr, betas: c.betas!, eps: c.eps!, weightDecay: c.weightDecay })
          : sgdReference(c.params0, c.gradsPerStep, { lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay });
      ref.forEach((got, k) => expectClose(got, c.paramsAfter[k], 2e-7, 1e-6, `${c.name} reference step ${k + 1}`));
    });
  }
});

// ---- options beyond the fixtures, against the CPU reference -----------------------------------------------------

describe('SGD', () => {
  const p0 = randomArray(300, 11, -2, 2);
  const grads = [0, 1, 2, 3].map((k) => randomArray(300, 20 + k));

  const variants: [string, SGDRefOptions][] = [
    ['momentum 0.9', { lr: 0.1, momentum: 0.9 }],
    ['momentum 0.9, dampening 0.5, weight decay 0.01', { lr: 0.05, momentum: 0.9, dampening: 0.5, weightDecay: 0.01 }],
    ['Nesterov momentum 0.8', { lr: 0.1, momentum: 0.8, nesterov: true }],
    ['weight decay 0.1, no momentum', { lr: 0.2, weightDecay: 0.1 }],
  ];
  for (const [label, o] of variants) {
    it(`${label}: 300 elements over four steps match torch.optim.SGD's formulas`, async () => {
      const p = param(p0);
      const opt = new SGD([p], o);
      const got = await runTrajectory(opt, p, grads);
      const ref = sgdReference(p0, grads, o);
      got.forEach((g, k) => expectClose(g, ref[k], 1e-6, 1e-6, `${label} step ${k + 1}`));
      if (o.momentum) expect(opt.momentumBuffer(p)?.shape).toEqual([300]);
      opt.dispose();
      p.dispose();
    });
  }

  it('setting the lr property changes the next step; lr 0 leaves the parameter as it is', async () => {
    const p = param([1, -2, 3]);
    const opt = new SGD([p], { lr: 0.5 });
    expect(opt.lr).toBe(0.5);
    p.grad = ctx.tensor([1, 1, 1], [3]);
    opt.step();
    expectClose(await readF32(p), [0.5, -2.5, 2.5], 0, 0, 'lr 0.5');
    opt.lr = 0.25;
    expect(opt.lr).toBe(0.25);
    opt.step(); // the same gradient again
    expectClose(await readF32(p), [0.25, -2.75, 2.25], 0, 0, 'lr 0.25');
    opt.lr = 1;
    opt.step();
    expectClose(await readF32(p), [-0.75, -3.75, 1.25], 0, 0, 'lr 1');
    opt.lr = 0; // PyTorch allows lr = 0 (lr >= 0)
    opt.step();
    expectClose(await readF32(p), [-0.75, -3.75, 1.25], 0, 0, 'lr 0');
    opt.dispose();
    p.dispose();
  });

  it('leaves the gradient untouched (weight decay works on a copy)', async () => {
    const p = param([1, 2]);
    const opt = new SGD([p], { lr: 0.1, weightDecay: 0.5, momentum: 0.9 });
    p.grad = ctx.tensor([0.25, -0.5], [2]);
    opt.step();
    expect(Array.from(await readF32(p.grad))).toEqual([0.25, -0.5]);
    opt.dispose();
    p.dispose();
  });
});

describe('Adam', () => {
  it('several parameters (sizes 1, 6 and 300), weight decay, four steps match torch.optim.Adam', async () => {
    const o: AdamRefOptions = { lr: 0.03, betas: [0.85, 0.98], eps: 1e-7, weightDecay: 0.02 };
    const sizes = [1, 6, 300];
    const p0s = sizes.map((n, k) => randomArray(n, 40 + k, -1.5, 1.5));
    const gradSets = sizes.map((n, k) => [0, 1, 2, 3].map((s) => randomArray(n, 100 * k + s, -3, 3)));
    const ps = p0s.map((d, k) => param(d, k === 1 ? [2, 3] : [d.length]));
    const opt = new Adam(ps, { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay });
    const got: Float32Array[][] = sizes.map(() => []);
    for (let s = 0; s < 4; s++) {
      opt.zeroGrad();
      ps.forEach((p, k) => (p.grad = ctx.tensor(gradSets[k][s], p.shape)));
      opt.step();
      for (let k = 0; k < ps.length; k++) got[k].push(await readF32(ps[k]));
    }
    sizes.forEach((_, k) => {
      const ref = adamReference(p0s[k], gradSets[k], o);
      ref.forEach((r, s) => expectClose(got[k][s], r, 5e-7, 1e-6, `param ${k} step ${s + 1}`));
    });
    expect(opt.stateOf(ps[2])?.step).toBe(4);
    expect(opt.stateOf(ps[1])?.m.shape).toEqual([2, 3]);
    opt.dispose();
    ps.forEach((p) => p.dispose());
  });

  it('β1 below 0.5 (the other branch of lerp) matches the reference', async () => {
    const o: AdamRefOptions = { lr: 0.1, betas: [0.3, 0.6], eps: 1e-8 };
    const p0 = randomArray(9, 7);
    const grads = [0, 1, 2].map((s) => randomArray(9, 70 + s));
    const p = param(p0);
    const opt = new Adam([p], o);
    const got = await runTrajectory(opt, p, grads);
    adamReference(p0, grads, o).forEach((r, s) => expectClose(got[s], r, 5e-7, 1e-6, `step ${s + 1}`));
    opt.dispose();
    p.dispose();
  });

  it('skips parameters whose grad is null; each parameter counts its own steps, as PyTorch', async () => {
    const o: AdamRefOptions = { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8 };
    const a0 = randomArray(4, 1);
    const b0 = randomArray(5, 2);
    const a = param(a0);
    const b = param(b0);
    const opt = new Adam([a, b], o);
    const ga = [randomArray(4, 3), randomArray(4, 4)];
    const gb = [randomArray(5, 5)];
    a.grad = ctx.tensor(ga[0], [4]);
    opt.step(); // b has no grad: untouched, no state
    expect(Array.from(await readF32(b))).toEqual(Array.from(b0));
    expect(opt.stateOf(b)).toBeNull();
    opt.zeroGrad();
    a.grad = ctx.tensor(ga[1], [4]);
    b.grad = ctx.tensor(gb[0], [5]);
    opt.step();
    expectClose(await readF32(a), adamReference(a0, ga, o)[1], 1e-6, 1e-6, 'a after its 2nd step');
    expectClose(await readF32(b), adamReference(b0, gb, o)[0], 1e-6, 1e-6, 'b after its 1st step');
    expect(opt.stateOf(a)?.step).toBe(2);
    expect(opt.stateOf(b)?.step).toBe(1);
    expect(opt.stepCount).toBe(2);
    opt.dispose();
    a.dispose();
    b.dispose();
  });

  it('dispose() frees the moment tensors', async () => {
    const p = param([1, 2, 3]);
    const opt = new Adam([p], { lr: 0.1 });
    p.grad = ctx.tensor([1, 1, 1], [3]);
    opt.step();
    const state = opt.stateOf(p)!;
    const before = ctx.memoryStats().liveTensors;
    opt.dispose();
    expect(ctx.memoryStats().liveTensors).toBe(before - 2);
    expect(state.m.isDisposed && state.v.isDisposed).toBe(true);
    expect(opt.stateOf(p)).toBeNull();
    expect(() => opt.step()).toThrow(/dispose/);
    p.grad.dispose();
    p.dispose();
  });
});

describe('Optimizer.step encoding', () => {
  it('one dispatch per parameter with a grad, then a single submit', async () => {
    const ps = [param([1, 2]), param([3]), param([4, 5, 6])];
    for (const opt of [new SGD(ps, { lr: 0.1 }), new Adam(ps, { lr: 0.1 })]) {
      ps[0].grad = ctx.tensor([1, 1], [2]);
      ps[2].grad = ctx.tensor([1, 1, 1], [3]);
      opt.step(); // first step: Adam also zero-fills its moments
      await ctx.sync();
      const dispatches = ctx.dispatchCount;
      const submits = ctx.submitCount;
      opt.step();
      expect(ctx.dispatchCount - dispatches).toBe(2);
      expect(ctx.submitCount - submits).toBe(1);
      opt.zeroGrad();
      opt.dispose();
    }
    ps.forEach((p) => p.dispose());
  });

  it('a gradient of the wrong size is rejected', () => {
    const p = param([1, 2, 3]);
    const opt = new SGD([p], { lr: 0.1 });
    p.grad = ctx.tensor([1, 2], [2]);
    expect(() => opt.step()).toThrow(RangeError);
    opt.zeroGrad();
    opt.dispose();
    p.dispose();
  });
});

// ---- zeroGrad ---------------------------------------------------------------------------------------------------

describe('zeroGrad', () => {
  it('disposes every gradient and sets it to null (set_to_none)', () => {
    const ps = [param([1, 2]), param([3])];
    const opt = new SGD(ps, { lr: 0.1 });
    const grads = ps.map((p) => (p.grad = ctx.tensor(new Float32Array(p.numel).fill(1), p.shape)));
    opt.zeroGrad();
    expect(ps.map((p) => p.grad)).toEqual([null, null]);
    expect(grads.every((g) => g.isDisposed)).toBe(true);
    opt.zeroGrad(); // nothing to clear: fine
    opt.dispose();
    ps.forEach((p) => p.dispose());
  });

  it('zeroGrad(false) keeps the tensors and fills them with zeros', async () => {
    const p = param([1, 2, 3]);
    const opt = new SGD([p], { lr: 0.1 });
    const g = (p.grad = ctx.tensor([4, 5, 6], [3]));
    opt.zeroGrad(false);
    expect(p.grad).toBe(g);
    expect(Array.from(await readF32(g))).toEqual([0, 0, 0]);
    opt.zeroGrad();
    opt.dispose();
    p.dispose();
  });

  it('clears gradients filled by backward, which then start again from zero', async () => {
    const p = param([1, 2, 3]);
    const opt = new SGD([p], { lr: 0.1 });
    wr.ops.scale(p, 2).backward(ctx.tensor([1, 1, 1], [3]));
    wr.ops.scale(p, 2).backward(ctx.tensor([1, 1, 1], [3]));
    expect(Array.from(await readF32(p.grad!))).toEqual([4, 4, 4]); // accumulated
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    wr.ops.scale(p, 3).backward(ctx.tensor([1, 1, 1], [3]));
    expect(Array.from(await readF32(p.grad!))).toEqual([3, 3, 3]);
    opt.step();
    expectClose(await readF32(p), [f(1 - f(0.1 * 3)), f(2 - f(0.1 * 3)), f(3 - f(0.1 * 3))], 1e-7, 0, 'after step');
    opt.zeroGrad();
    opt.dispose();
    p.dispose();
  });
});

// ---- clipGradNorm -----------------------------------------------------------------------------------------------

describe('clipGradNorm', () => {
  const shapes = [[1], [7], [300], [3, 5]];
  const gradData = shapes.map((s, k) => randomArray(s.reduce((a, b) => a * b, 1), 500 + k, -1, 1));

  function cpuNorm(grads: Float32Array[]): number {
    let s = 0;
    for (const g of grads) for (const x of g) s += x * x;
    return Math.sqrt(s);
  }

  /** torch.nn.utils.clip_grad_norm_ in float32: coef = clamp(reciprocal(norm + 1e-6) * max_norm, max=1). */
  function cpuCoefficient(norm: number, maxNorm: number): number {
    return Math.min(1, f(f(1 / f(f(norm) + f(1e-6))) * f(maxNorm)));
  }

  function makeParams(): wr.Parameter[] {
    return shapes.map((s, k) => {
      const p = param(randomArray(gradData[k].length, 600 + k), s);
      p.grad = ctx.tensor(gradData[k], s);
      return p;
    });
  }

  it('scales every gradient when the norm is above maxNorm, on the GPU, returning the pre-clip norm', async () => {
    const ps = makeParams();
    const expectedNorm = cpuNorm(gradData); // ≈ 10 for 323 values in [-1, 1)
    const maxNorm = 1.5;
    expect(expectedNorm).toBeGreaterThan(3 * maxNorm);
    const submits = ctx.submitCount;
    const norm = clipGradNorm(ps, maxNorm);
    expect(ctx.submitCount).toBe(submits); // nothing submitted, nothing read back
    expect(norm.shape).toEqual([]);
    const normValue = (await readF32(norm))[0];
    expectClose([normValue], [expectedNorm], 0, 2e-6, 'returned norm');
    const coef = cpuCoefficient(normValue, maxNorm);
    expect(coef).toBeLessThan(1);
    for (let k = 0; k < ps.length; k++) {
      const got = await readF32(ps[k].grad!);
      expectClose(got, gradData[k].map((x) => f(x * coef)), 1e-7, 1e-6, `grad ${k}`);
      expectClose(got, gradData[k].map((x) => x * (maxNorm / (expectedNorm + 1e-6))), 1e-7, 1e-5, `grad ${k} vs float64`);
    }
    // The total norm is now maxNorm.
    const after = await Promise.all(ps.map((p) => readF32(p.grad!)));
    expectClose([cpuNorm(after)], [maxNorm], 0, 1e-5, 'norm after clipping');
    norm.dispose();
    ps.forEach((p) => {
      p.grad!.dispose();
      p.dispose();
    });
  });

  it('leaves the gradients exactly as they are when the norm is below maxNorm', async () => {
    const ps = makeParams();
    const expectedNorm = cpuNorm(gradData);
    const norm = clipGradNorm(ps, expectedNorm * 2);
    expectClose(await readF32(norm), [expectedNorm], 0, 2e-6, 'returned norm');
    for (let k = 0; k < ps.length; k++) {
      expect(Array.from(await readF32(ps[k].grad!)), `grad ${k}`).toEqual(Array.from(gradData[k]));
    }
    norm.dispose();
    ps.forEach((p) => {
      p.grad!.dispose();
      p.dispose();
    });
  });

  it('skips parameters without a gradient', async () => {
    const a = param([0, 0]);
    const b = param([0]);
    const c = param([0, 0]);
    a.grad = ctx.tensor([3, 0], [2]);
    c.grad = ctx.tensor([0, 4], [2]); // norm 5
    const norm = clipGradNorm([a, b, c], 1);
    expect(b.grad).toBeNull();
    expectClose(await readF32(norm), [5], 0, 1e-6, 'norm');
    const coef = cpuCoefficient(5, 1);
    expectClose(await readF32(a.grad), [f(3 * coef), 0], 1e-7, 1e-6, 'a.grad');
    expectClose(await readF32(c.grad), [0, f(4 * coef)], 1e-7, 1e-6, 'c.grad');
    // No gradient at all: norm 0, nothing to scale.
    const none = clipGradNorm([b], 1);
    expect(Array.from(await readF32(none))).toEqual([0]);
    [norm, none, a.grad, c.grad, a, b, c].forEach((t) => t.dispose());
  });

  it('clip then step: the update uses the clipped gradients, all in one submit', async () => {
    const p = param([1, 1]);
    const opt = new SGD([p], { lr: 1 });
    p.grad = ctx.tensor([6, 8], [2]); // norm 10
    const submits = ctx.submitCount;
    const norm = clipGradNorm([p], 0.5);
    opt.step();
    expect(ctx.submitCount - submits).toBe(1);
    const coef = cpuCoefficient(10, 0.5);
    expectClose(await readF32(p), [f(1 - f(6 * coef)), f(1 - f(8 * coef))], 1e-6, 1e-6, 'params');
    expectClose(await readF32(norm), [10], 0, 1e-6, 'norm');
    norm.dispose();
    opt.zeroGrad();
    opt.dispose();
    p.dispose();
  });
});

// ---- bad arguments ----------------------------------------------------------------------------------------------

describe('bad arguments', () => {
  it('an empty parameter list throws', () => {
    expect(() => new SGD([], { lr: 0.1 })).toThrow(/empty parameter list/);
    expect(() => new Adam([], { lr: 0.1 })).toThrow(/empty parameter list/);
    expect(() => clipGradNorm([], 1)).toThrow(/empty parameter list/);
  });

  it('lr must be a finite number >= 0 (RangeError naming lr), as in PyTorch', () => {
    const p = param([1]);
    for (const lr of [-0.1, NaN, Infinity, -Infinity, '0.1' as unknown as number]) {
      expect(() => new SGD([p], { lr }), `SGD lr ${String(lr)}`).toThrow(RangeError);
      expect(() => new SGD([p], { lr }), `SGD lr ${String(lr)}`).toThrow(/lr/);
      expect(() => new Adam([p], { lr }), `Adam lr ${String(lr)}`).toThrow(/lr/);
    }
    new SGD([p], { lr: 0 }).dispose();
    new Adam([p], { lr: 0 }).dispose();
    const opt = new Adam([p], { lr: 0.1 });
    expect(() => (opt.lr = -1)).toThrow(RangeError);
    expect(() => (opt.lr = NaN)).toThrow(/lr/);
    expect(opt.lr).toBe(0.1);
    opt.dispose();
    p.dispose();
  });

  it('betas outside [0, 1), negative eps / weightDecay / momentum throw RangeError', () => {
    const p = param([1]);
    for (const betas of [[1, 0.999], [0.9, 1], [-0.1, 0.999], [0.9, -0.5], [NaN, 0.9], [0.9, 1.5]] as [number, number][]) {
      expect(() => new Adam([p], { lr: 0.1, betas }), `betas ${betas}`).toThrow(RangeError);
      expect(() => new Adam([p], { lr: 0.1, betas }), `betas ${betas}`).toThrow(/betas/);
    }
    expect(() => new Adam([p], { lr: 0.1, betas: [0, 0] }).dispose()).not.toThrow();
    expect(() => new Adam([p], { lr: 0.1, eps: -1 })).toThrow(/eps/);
    expect(() => new Adam([p], { lr: 0.1, weightDecay: -1 })).toThrow(/weightDecay/);
    expect(() => new SGD([p], { lr: 0.1, momentum: -0.5 })).toThrow(/momentum/);
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow(/Nesterov/);
    expect(() => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(RangeError);
    p.dispose();
  });

  it('params must be a list of distinct float32 tensors', () => {
    const p = param([1]);
    expect(() => new SGD(p as unknown as wr.Parameter[], { lr: 0.1 })).toThrow(TypeError);
    expect(() => new SGD([p, p], { lr: 0.1 })).toThrow(/more than once/);
    const ids = ctx.tensor(Int32Array.from([1]), [1], 'int32');
    expect(() => new SGD([ids as wr.Parameter], { lr: 0.1 })).toThrow(/float32/);
    ids.dispose();
    p.dispose();
  });

  it('clipGradNorm: maxNorm must be a finite positive number', () => {
    const p = param([1]);
    for (const maxNorm of [0, -1, NaN, Infinity]) {
      expect(() => clipGradNorm([p], maxNorm), `maxNorm ${maxNorm}`).toThrow(RangeError);
      expect(() => clipGradNorm([p], maxNorm), `maxNorm ${maxNorm}`).toThrow(/maxNorm/);
    }
    p.dispose();
  });
});
