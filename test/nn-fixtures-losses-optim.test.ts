// The losses and optimizers of API.md sections 11-12 against the second, independent set of PyTorch 1.13
// fixtures made by gen_fixtures_nn.py (test/fixtures/nn_losses.json, nn_optim.json): every loss option on 9×10
// logits with upstream gradients, and trajectories over two parameters with schedules, clipGradValue before each
// step, and lr set by hand (including 0). The larger, workgroup-crossing cases are in losses.test.ts and
// optim-schedules.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as wr from '../src/index.js';
import lossFixtures from './fixtures/nn_losses.json';
import optimFixtures from './fixtures/nn_optim.json';
import { expectClose, testContext } from './helpers.js';

const F = wr.nn.functional;

interface LossCase {
  name: string; kind: 'crossEntropy' | 'mseLoss' | 'l1Loss' | 'binaryCrossEntropyWithLogits' | 'softmax' | 'logSoftmax';
  reduction?: wr.nn.functional.Reduction; ignoreIndex?: number; labelSmoothing?: number; posWeight?: number[] | null;
  targets?: number[]; loss: number[]; lossShape: number[]; dLoss: number[];
  logits?: number[]; logitsShape?: number[]; dLogits?: number[];
  input?: number[]; inputShape?: number[]; dInput?: number[]; target?: number[]; targetShape?: number[]; dTarget?: number[];
}
interface OptimCase {
  name: string; optimizer: 'sgd' | 'adam' | 'adamw' | 'rmsprop';
  options: { lr: number; betas?: [number, number]; eps?: number; weightDecay?: number; alpha?: number; momentum?: number };
  scheduler: { kind: 'StepLR' | 'CosineAnnealingLR'; stepSize?: number; gamma?: number; tMax?: number; etaMin?: number } | null;
  clipValue: number | null; manualLr: boolean; steps: number; shapes: number[][]; params0: number[][];
  gradsPerStep: number[][][]; clippedGradsPerStep: number[][][] | null; paramsAfter: number[][][]; lrPerStep: number[]; lrAfterStep: number[];
}
const lossCases = (lossFixtures as unknown as { cases: LossCase[] }).cases;
const optimCases = (optimFixtures as unknown as { cases: OptimCase[] }).cases;

let ctx: wr.Context;
beforeAll(async () => { ctx = await testContext(); });
afterAll(() => ctx?.destroy());

async function read(t: wr.Tensor): Promise<Float32Array> {
  return (await t.read()) as Float32Array;
}

function leaf(data: number[], shape: number[]): wr.Tensor {
  const t = ctx.tensor(Float32Array.from(data), shape);
  t.requiresGrad = true;
  return t;
}

describe('losses against gen_fixtures_nn.py (fixtures/nn_losses.json)', () => {
  it('has the cases', () => expect(lossCases.length).toBeGreaterThanOrEqual(40));

  for (const c of lossCases) {
    it(`${c.name}: output and gradients within 1e-4`, async () => {
      let out: wr.Tensor;
      let x: wr.Tensor;
      let target: wr.Tensor | null = null;
      if (c.kind === 'crossEntropy') {
        x = leaf(c.logits!, c.logitsShape!);
        const targets = ctx.tensor(Int32Array.from(c.targets!), [c.targets!.length]);
        out = F.crossEntropy(x, targets, { reduction: c.reduction, ignoreIndex: c.ignoreIndex, labelSmoothing: c.labelSmoothing });
      } else if (c.kind === 'softmax' || c.kind === 'logSoftmax') {
        x = leaf(c.input!, c.inputShape!);
        out = F[c.kind](x);
      } else {
        x = leaf(c.input!, c.inputShape!);
        target = c.dTarget ? leaf(c.target!, c.targetShape!) : ctx.tensor(c.target!, c.targetShape!);
        const posWeight = c.posWeight ? ctx.tensor(c.posWeight, [c.posWeight.length]) : undefined;
        out = c.kind === 'binaryCrossEntropyWithLogits'
          ? F.binaryCrossEntropyWithLogits(x, target, { reduction: c.reduction, posWeight })
          : F[c.kind](x, target, { reduction: c.reduction });
      }
      expect(out.shape).toEqual(c.lossShape);
      expectClose(await read(out), c.loss, 1e-4, 1e-4, 'output');
      out.backward(ctx.tensor(c.dLoss, c.lossShape)); // the fixture's loss·dLoss summed
      expectClose(await read(x.grad!), (c.dLogits ?? c.dInput)!, 1e-4, 1e-4, 'input gradient');
      if (c.dTarget) expectClose(await read(target!.grad!), c.dTarget, 1e-4, 1e-4, 'target gradient');
    });
  }
});

function makeOptimizer(c: OptimCase, ps: wr.Parameter[]): wr.optim.Optimizer {
  const o = c.options;
  switch (c.optimizer) {
    case 'sgd': return new wr.optim.SGD(ps, { lr: o.lr });
    case 'adam': return new wr.optim.Adam(ps, { lr: o.lr, betas: o.betas, eps: o.eps });
    case 'adamw': return new wr.optim.AdamW(ps, { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay });
    case 'rmsprop': return new wr.optim.RMSprop(ps, { lr: o.lr, alpha: o.alpha, eps: o.eps, momentum: o.momentum, weightDecay: o.weightDecay });
  }
}

describe('optimizers, schedules and clipping against gen_fixtures_nn.py (fixtures/nn_optim.json)', () => {
  it('has the cases', () => expect(optimCases.length).toBeGreaterThanOrEqual(14));

  for (const c of optimCases) {
    it(`${c.name}: ${c.steps} steps over two parameters`, async () => {
      const ps = c.params0.map((d, k) => new wr.Parameter(ctx.tensor(Float32Array.from(d), c.shapes[k])));
      const opt = makeOptimizer(c, ps);
      const s = c.scheduler;
      const sched = !s ? null : s.kind === 'StepLR'
        ? new wr.optim.lrScheduler.StepLR(opt, { stepSize: s.stepSize!, gamma: s.gamma })
        : new wr.optim.lrScheduler.CosineAnnealingLR(opt, { tMax: s.tMax!, etaMin: s.etaMin });
      for (let k = 0; k < c.steps; k++) {
        if (c.manualLr) opt.lr = c.lrPerStep[k];
        expectClose([opt.lr], [c.lrPerStep[k]], 0, 1e-11, `lr of step ${k + 1}`); // the fixture keeps 12 digits
        opt.zeroGrad();
        ps.forEach((p, j) => (p.grad = ctx.tensor(Float32Array.from(c.gradsPerStep[k][j]), p.shape)));
        if (c.clipValue !== null) {
          wr.nn.utils.clipGradValue(ps, c.clipValue);
          for (let j = 0; j < ps.length; j++) expectClose(await read(ps[j].grad!), c.clippedGradsPerStep![k][j], 0, 1e-7, `clipped grad ${j}`);
        }
        opt.step();
        sched?.step();
        expectClose([opt.lr], [c.lrAfterStep[k]], 0, 1e-11, `lr after step ${k + 1}`);
        for (let j = 0; j < ps.length; j++) expectClose(await read(ps[j]), c.paramsAfter[k][j], 1e-5, 1e-5, `param ${j} after step ${k + 1}`);
      }
      opt.zeroGrad();
      opt.dispose();
      ps.forEach((p) => p.dispose());
    });
  }
});
