// API.md section 12: AdamW, RMSprop (momentum, weight decay, centered), lr read/write with lr 0, StepLR and
// CosineAnnealingLR, clipGradValue. Against PyTorch 1.13 (test/fixtures/optim_schedules.json, made by
// gen_fixtures_losses.py: multi-step trajectories, lr sequences, clip_grad_value_) and float32 CPU transcriptions
// of torch.optim's single-tensor code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import fixtures from './fixtures/optim_schedules.json';
import { expectClose, randomArray, testContext } from './helpers.js';

const { AdamW, RMSprop, SGD, lrScheduler } = wr.optim;
const { StepLR, CosineAnnealingLR } = lrScheduler;

interface TorchOptions { lr: number; betas?: [number, number]; eps?: number; weight_decay?: number; alpha?: number; momentum?: number; centered?: boolean }
interface SchedulerSpec { kind: 'step' | 'cosine'; stepSize?: number; gamma?: number; tMax?: number; etaMin?: number }
interface Trajectory {
  name: string; optimizer: 'adamw' | 'rmsprop' | 'sgd'; options: TorchOptions; scheduler: SchedulerSpec | null;
  params0: number[]; gradsPerStep: number[][]; paramsAfter: number[][]; lrAfter: number[];
}
interface LrSequence { name: string; kind: 'step' | 'cosine'; stepSize?: number; gamma?: number; tMax?: number; etaMin?: number; lr: number; lrs: number[] }
interface ClipCase { name: string; clipValue: number; grads: number[][]; clipped: number[][] }
const fx = fixtures as unknown as { trajectories: Trajectory[]; lrSequences: LrSequence[]; clipGradValue: ClipCase[] };

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

const f = Math.fround;

function param(data: ArrayLike<number>, shape: number[] = [data.length]): wr.Parameter {
  return new wr.Parameter(ctx.tensor(Float32Array.from(data), shape));
}

async function read(t: wr.Tensor): Promise<Float32Array> {
  return (await t.read()) as Float32Array;
}

function makeOptimizer(kind: Trajectory['optimizer'], p: wr.Parameter[], o: TorchOptions): wr.optim.Optimizer {
  if (kind === 'adamw') return new AdamW(p, { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weight_decay });
  if (kind === 'rmsprop') {
    return new RMSprop(p, { lr: o.lr, alpha: o.alpha, eps: o.eps, momentum: o.momentum, weightDecay: o.weight_decay, centered: o.centered });
  }
  return new SGD(p, { lr: o.lr, momentum: o.momentum, weightDecay: o.weight_decay });
}

function makeScheduler(opt: wr.optim.Optimizer, s: SchedulerSpec | LrSequence): wr.optim.lrScheduler.LRScheduler {
  return s.kind === 'step'
    ? new StepLR(opt, { stepSize: s.stepSize!, gamma: s.gamma })
    : new CosineAnnealingLR(opt, { tMax: s.tMax!, etaMin: s.etaMin });
}

/**
 * A learning rate against PyTorch's: equal as float32 (what the kernels get) and within a few float64 ulps (the
 * cosine schedule's Math.cos and C's cos may differ in the last bit, which the recursion carries along).
 */
function expectLr(actual: number, expected: number, what: string): void {
  expect(f(actual), what).toBe(f(expected));
  expect(Math.abs(actual - expected), what).toBeLessThanOrEqual(1e-15 * Math.abs(expected));
}

// ---- float32 CPU references, operation by operation as torch.optim's single-tensor code --------------------------

interface AdamWRef { lr: number; betas: [number, number]; eps: number; weightDecay: number }

/** One parameter's AdamW trajectory; `lrs[k]` overrides the lr of step k. Returns the parameter after each step. */
function adamwReference(p0: ArrayLike<number>, grads: ArrayLike<number>[], o: AdamWRef, lrs?: number[]): Float32Array[] {
  const [b1, b2] = o.betas;
  const p = Float32Array.from(p0);
  const m = new Float32Array(p.length);
  const v = new Float32Array(p.length);
  return grads.map((g, k) => {
    const lr = lrs?.[k] ?? o.lr;
    const t = k + 1;
    const decay = f(1 - lr * o.weightDecay);
    const stepSize = f(lr / (1 - b1 ** t));
    const bc2Sqrt = f(Math.sqrt(1 - b2 ** t));
    for (let i = 0; i < p.length; i++) {
      p[i] = f(p[i] * decay);
      m[i] = f(f(m[i] * f(b1)) + f(f(1 - b1) * g[i]));
      v[i] = f(f(v[i] * f(b2)) + f(f(f(1 - b2) * g[i]) * g[i]));
      const denom = f(f(f(Math.sqrt(v[i])) / bc2Sqrt) + f(o.eps));
      p[i] = f(p[i] + f(f(-stepSize * m[i]) / denom));
    }
    return Float32Array.from(p);
  });
}

interface RMSpropRef { lr: number; alpha: number; eps: number; momentum: number; weightDecay: number; centered: boolean }

function rmspropReference(p0: ArrayLike<number>, grads: ArrayLike<number>[], o: RMSpropRef): Float32Array[] {
  const p = Float32Array.from(p0);
  const sq = new Float32Array(p.length);
  const ga = new Float32Array(p.length);
  const buf = new Float32Array(p.length);
  const [alpha, keep] = [f(o.alpha), f(1 - o.alpha)];
  return grads.map((g0) => {
    for (let i = 0; i < p.length; i++) {
      const g = o.weightDecay ? f(g0[i] + f(f(o.weightDecay) * p[i])) : f(g0[i]);
      sq[i] = f(f(sq[i] * alpha) + f(f(keep * g) * g));
      let avg: number;
      if (o.centered) {
        ga[i] = f(f(ga[i] * alpha) + f(keep * g));
        avg = f(f(Math.sqrt(f(sq[i] - f(ga[i] * ga[i])))) + f(o.eps));
      } else {
        avg = f(f(Math.sqrt(sq[i])) + f(o.eps));
      }
      if (o.momentum > 0) {
        buf[i] = f(f(buf[i] * f(o.momentum)) + f(g / avg));
        p[i] = f(p[i] + f(f(-o.lr) * buf[i]));
      } else {
        p[i] = f(p[i] + f(f(f(-o.lr) * g) / avg));
      }
    }
    return Float32Array.from(p);
  });
}

const adamwRefOptions = (o: TorchOptions): AdamWRef => ({ lr: o.lr, betas: o.betas ?? [0.9, 0.999], eps: o.eps ?? 1e-8, weightDecay: o.weight_decay ?? 1e-2 });
const rmspropRefOptions = (o: TorchOptions): RMSpropRef => ({
  lr: o.lr, alpha: o.alpha ?? 0.99, eps: o.eps ?? 1e-8, momentum: o.momentum ?? 0, weightDecay: o.weight_decay ?? 0, centered: o.centered ?? false,
});

// ---- PyTorch trajectories ----------------------------------------------------------------------------------------

describe('optimizers and schedules against PyTorch (fixtures/optim_schedules.json)', () => {
  it('has AdamW, RMSprop (momentum, weight decay, centered), lr 0 and both schedules', () => {
    const names = fx.trajectories.map((c) => c.name);
    expect(names.filter((n) => n.startsWith('adamw')).length).toBeGreaterThanOrEqual(3);
    expect(fx.trajectories.some((c) => c.optimizer === 'rmsprop' && c.options.centered && c.options.momentum)).toBe(true);
    expect(new Set(fx.trajectories.map((c) => c.scheduler?.kind).filter(Boolean))).toEqual(new Set(['step', 'cosine']));
    expect(fx.trajectories.every((c) => c.gradsPerStep.length >= 3)).toBe(true);
  });

  for (const c of fx.trajectories) {
    it(`${c.name}: ${c.gradsPerStep.length} steps match torch.optim${c.scheduler ? ' and its scheduler' : ''}`, async () => {
      const p = param(c.params0);
      const opt = makeOptimizer(c.optimizer, [p], c.options);
      const sched = c.scheduler ? makeScheduler(opt, c.scheduler) : null;
      for (let k = 0; k < c.gradsPerStep.length; k++) {
        opt.zeroGrad();
        p.grad = ctx.tensor(Float32Array.from(c.gradsPerStep[k]), p.shape);
        opt.step();
        sched?.step();
        expectClose(await read(p), c.paramsAfter[k], 1e-5, 1e-5, `step ${k + 1}`);
        expectLr(opt.lr, c.lrAfter[k], `lr after step ${k + 1}`);
      }
      const moved = Math.max(...c.paramsAfter.at(-1)!.map((x, i) => Math.abs(x - c.params0[i])));
      if (c.options.lr > 0) expect(moved).toBeGreaterThan(1e-3);
      else expect(Array.from(await read(p))).toEqual(Array.from(Float32Array.from(c.params0))); // lr 0: no change
      opt.zeroGrad();
      opt.dispose();
      p.dispose();
    });
  }

  it('the float32 CPU references reproduce the AdamW and RMSprop fixtures', () => {
    for (const c of fx.trajectories) {
      if (c.optimizer === 'sgd') continue;
      const ref = c.optimizer === 'adamw'
        ? adamwReference(c.params0, c.gradsPerStep, adamwRefOptions(c.options), c.scheduler ? [c.options.lr, ...c.lrAfter] : undefined)
        : c.scheduler ? null : rmspropReference(c.params0, c.gradsPerStep, rmspropRefOptions(c.options));
      ref?.forEach((r, k) => expectClose(r, c.paramsAfter[k], 1e-6, 1e-5, `${c.name} reference step ${k + 1}`));
    }
  });

  for (const c of fx.lrSequences) {
    it(`${c.name}: ${c.lrs.length} epochs of learning rates equal PyTorch's`, () => {
      const p = param([0]);
      const opt = new SGD([p], { lr: c.lr });
      const sched = makeScheduler(opt, c);
      expect(sched.lastEpoch).toBe(0);
      expect(sched.lastLr).toBe(c.lr);
      const got = c.lrs.map(() => {
        opt.step(); // no gradient: nothing to update
        sched.step();
        return opt.lr;
      });
      got.forEach((lr, k) => expectLr(lr, c.lrs[k], `epoch ${k + 1}`));
      expect(sched.lastLr).toBe(opt.lr);
      opt.dispose();
      p.dispose();
    });
  }

  for (const c of fx.clipGradValue) {
    it(`clipGradValue ${c.name}: equals torch.nn.utils.clip_grad_value_`, async () => {
      const ps = c.grads.map((g) => param(new Float32Array(g.length)));
      ps.forEach((p, k) => (p.grad = ctx.tensor(Float32Array.from(c.grads[k]), p.shape)));
      const submits = ctx.submitCount;
      wr.nn.utils.clipGradValue(ps, c.clipValue);
      expect(ctx.submitCount).toBe(submits); // encoded only, nothing read back
      for (let k = 0; k < ps.length; k++) expectClose(await read(ps[k].grad!), c.clipped[k], 0, 1e-7, `grad ${k}`);
      expect(c.clipped.flat().some((x, i) => x !== c.grads.flat()[i])).toBe(true); // something was clipped
      ps.forEach((p) => { p.grad!.dispose(); p.dispose(); });
    });
  }
});

// ---- beyond the fixtures -----------------------------------------------------------------------------------------

describe('AdamW and RMSprop beyond the fixtures', () => {
  it('AdamW: several parameters (sizes 1, 6, 300), a skipped null grad, lr changed between steps', async () => {
    const o: AdamWRef = { lr: 0.02, betas: [0.85, 0.98], eps: 1e-7, weightDecay: 0.2 };
    const sizes = [1, 6, 300];
    const p0s = sizes.map((n, k) => randomArray(n, 40 + k, -1.5, 1.5));
    const grads = sizes.map((n, k) => [0, 1, 2, 3].map((s) => randomArray(n, 100 * k + s, -3, 3)));
    const ps = p0s.map((d, k) => param(d, k === 1 ? [2, 3] : [d.length]));
    const opt = new AdamW(ps, o);
    const lrs = [0.02, 0.01, 0, 0.05];
    const skipped = 1; // parameter 1 has no gradient at step 2
    const got: Float32Array[][] = sizes.map(() => []);
    for (let s = 0; s < 4; s++) {
      opt.lr = lrs[s];
      opt.zeroGrad();
      ps.forEach((p, k) => { if (!(k === 1 && s === skipped)) p.grad = ctx.tensor(grads[k][s], p.shape); });
      opt.step();
      for (let k = 0; k < ps.length; k++) got[k].push(await read(ps[k]));
    }
    for (const k of [0, 2]) adamwReference(p0s[k], grads[k], o, lrs).forEach((r, s) => expectClose(got[k][s], r, 1e-6, 1e-5, `param ${k} step ${s + 1}`));
    // Parameter 1 skips step 2 (untouched) and counts its own steps, as PyTorch.
    const ref1 = adamwReference(p0s[1], [grads[1][0], grads[1][2], grads[1][3]], o, [lrs[0], lrs[2], lrs[3]]);
    expect(Array.from(got[1][1])).toEqual(Array.from(got[1][0]));
    [0, 2, 3].forEach((s, j) => expectClose(got[1][s], ref1[j], 1e-6, 1e-5, `param 1 step ${s + 1}`));
    expect(opt.stateOf(ps[1])?.step).toBe(3);
    expect(opt.stateOf(ps[2])?.m.shape).toEqual([300]);
    opt.zeroGrad();
    opt.dispose();
    ps.forEach((p) => p.dispose());
  });

  for (const [label, o] of [
    ['plain', { lr: 0.01, alpha: 0.99, eps: 1e-8, momentum: 0, weightDecay: 0, centered: false }],
    ['centered, momentum 0.7, weight decay 0.05', { lr: 0.003, alpha: 0.8, eps: 1e-6, momentum: 0.7, weightDecay: 0.05, centered: true }],
  ] as [string, RMSpropRef][]) {
    it(`RMSprop ${label}: 300 elements over five steps match the reference; state as PyTorch's`, async () => {
      const p0 = randomArray(300, 61, -2, 2);
      const grads = [0, 1, 2, 3, 4].map((s) => randomArray(300, 70 + s, -2, 2));
      const p = param(p0);
      const opt = new RMSprop([p], o);
      const got: Float32Array[] = [];
      for (const g of grads) {
        opt.zeroGrad();
        p.grad = ctx.tensor(g, [300]);
        opt.step();
        got.push(await read(p));
      }
      rmspropReference(p0, grads, o).forEach((r, s) => expectClose(got[s], r, 1e-6, 1e-5, `step ${s + 1}`));
      const state = opt.stateOf(p)!;
      expect(state.step).toBe(5);
      expect(state.momentumBuffer === null).toBe(o.momentum === 0);
      expect(state.gradAvg === null).toBe(!o.centered);
      opt.zeroGrad();
      opt.dispose();
      expect(state.squareAvg.isDisposed).toBe(true);
      p.dispose();
    });
  }

  it('a step is one dispatch per parameter and one submit; changing lr makes no new uniforms', async () => {
    const ps = [param([1, 2]), param([3, 4, 5])];
    const opts = [new AdamW(ps, { lr: 0.1 }), new RMSprop(ps, { lr: 0.1, momentum: 0.5, centered: true })];
    for (const opt of opts) {
      const sched = new CosineAnnealingLR(opt, { tMax: 3 });
      ps.forEach((p) => (p.grad = ctx.tensor(new Float32Array(p.numel).fill(1), p.shape)));
      opt.step(); // the first step zero-fills the state
      sched.step();
      await ctx.sync();
      const [dispatches, submits, uniforms] = [ctx.dispatchCount, ctx.submitCount, ctx.memoryStats().uniformBuffers];
      for (let s = 0; s < 3; s++) {
        opt.step();
        sched.step(); // a new lr every step
      }
      expect(ctx.dispatchCount - dispatches).toBe(3 * ps.length);
      expect(ctx.submitCount - submits).toBe(3);
      expect(ctx.memoryStats().uniformBuffers).toBe(uniforms);
      opt.zeroGrad();
      opt.dispose();
    }
    ps.forEach((p) => p.dispose());
  });
});

describe('schedules beyond the fixtures', () => {
  it('StepLR is chainable: it multiplies whatever lr the optimizer has, as PyTorch', () => {
    const p = param([0]);
    const opt = new SGD([p], { lr: 1 });
    const sched = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
    sched.step();
    opt.lr = 0.3; // changed by hand
    sched.step(); // epoch 2: 0.3 · 0.5
    expect(opt.lr).toBe(0.15);
    expect(sched.baseLr).toBe(1);
    // A second scheduler keeps the optimizer's first lr as its base (PyTorch's initial_lr).
    expect(new CosineAnnealingLR(opt, { tMax: 4 }).baseLr).toBe(1);
    opt.dispose();
    p.dispose();
  });
});

// ---- bad input ---------------------------------------------------------------------------------------------------

describe('bad input: a clear error naming it, nothing changed', () => {
  it('lr: negative or not finite is refused by every optimizer and the setter; 0 is allowed', () => {
    const p = param([1]);
    for (const lr of [-1e-3, NaN, Infinity]) {
      expect(() => new AdamW([p], { lr }), `AdamW ${lr}`).toThrow(/AdamW: lr must be a finite number >= 0/);
      expect(() => new RMSprop([p], { lr }), `RMSprop ${lr}`).toThrow(/RMSprop: lr must be a finite number >= 0/);
      expect(() => new SGD([p], { lr }), `SGD ${lr}`).toThrow(RangeError);
    }
    const opt = new RMSprop([p], { lr: 0 });
    expect(opt.lr).toBe(0);
    opt.lr = 0.5;
    expect(() => (opt.lr = -0.5)).toThrow(/lr must be a finite number >= 0, got -0.5/);
    expect(opt.lr).toBe(0.5);
    new SGD([p], { lr: 0 }).dispose();
    opt.dispose();
    p.dispose();
  });

  it('AdamW and RMSprop options', () => {
    const p = param([1]);
    expect(() => new AdamW([p], { betas: [0.9, 1] })).toThrow(/AdamW: betas\[1\] must be in \[0, 1\)/);
    expect(() => new AdamW([p], { betas: [0.9] as unknown as [number, number] })).toThrow(/AdamW: betas must be a pair/);
    expect(() => new AdamW([p], { eps: -1 })).toThrow(/AdamW: eps must be a finite number >= 0/);
    expect(() => new AdamW([p], { weightDecay: -0.1 })).toThrow(/AdamW: weightDecay/);
    expect(() => new RMSprop([p], { alpha: -0.1 })).toThrow(/RMSprop: alpha/);
    expect(() => new RMSprop([p], { momentum: NaN })).toThrow(/RMSprop: momentum/);
    expect(() => new RMSprop([p], { weightDecay: -1 })).toThrow(/RMSprop: weightDecay/);
    expect(() => new RMSprop([p], { centered: 1 as unknown as boolean })).toThrow(/RMSprop: centered must be a boolean/);
    expect(() => new AdamW([], {})).toThrow(/empty parameter list/);
    p.dispose();
  });

  it('schedulers: stepSize, gamma, tMax, etaMin, the optimizer; the lr stays as it was', () => {
    const p = param([1]);
    const opt = new SGD([p], { lr: 0.2 });
    for (const stepSize of [0, 1.5, -1, NaN]) {
      expect(() => new StepLR(opt, { stepSize }), `stepSize ${stepSize}`).toThrow(/StepLR: stepSize must be a positive integer/);
    }
    expect(() => new StepLR(opt, { stepSize: 2, gamma: -0.5 })).toThrow(/StepLR: gamma must be a finite number >= 0/);
    expect(() => new StepLR(opt, undefined as unknown as { stepSize: number })).toThrow(/StepLR: stepSize/);
    for (const tMax of [0, 2.5]) expect(() => new CosineAnnealingLR(opt, { tMax })).toThrow(/CosineAnnealingLR: tMax must be a positive integer/);
    expect(() => new CosineAnnealingLR(opt, { tMax: 3, etaMin: -1e-3 })).toThrow(/CosineAnnealingLR: etaMin must be a finite number >= 0/);
    expect(() => new StepLR({ lr: 1 } as unknown as wr.optim.Optimizer, { stepSize: 1 })).toThrow(/StepLR: expected a webrnn optimizer/);
    expect(opt.lr).toBe(0.2);
    opt.lr = 0.4; // nothing above took 0.2 as the optimizer's initial lr
    expect(new StepLR(opt, { stepSize: 1 }).baseLr).toBe(0.4);
    opt.dispose();
    p.dispose();
  });

  it('clipGradValue: clipValue negative or not finite, params not iterable', () => {
    const p = param([1, 2]);
    p.grad = ctx.tensor([3, -4], [2]);
    for (const clipValue of [-1, NaN, Infinity]) {
      expect(() => wr.nn.utils.clipGradValue([p], clipValue), String(clipValue)).toThrow(/clipGradValue: clipValue must be a finite number >= 0/);
    }
    expect(() => wr.nn.utils.clipGradValue(p as unknown as wr.Parameter[], 1)).toThrow(/clipGradValue: params must be an iterable/);
    p.grad.dispose();
    p.dispose();
  });
});
