// torch.optim.AdamW (amsgrad and maximize off): Adam with decoupled weight decay, p ← p·(1 - lr·weightDecay).
import type { Parameter, Tensor } from '../core/tensor.js';
import { nonNegativeNumber } from '../core/validate.js';
import type { AdamState } from './adam.js';
import { dispatchOptim } from './kernels.js';
import { Optimizer, checkBetas, type ActiveParam } from './optimizer.js';

export interface AdamWOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Coefficients of the running averages of the gradient and its square, each in [0, 1) (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** Decoupled weight decay: each step multiplies the parameter by 1 - lr·weightDecay first (default 1e-2). */
  weightDecay?: number;
}

export class AdamW extends Optimizer {
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  private readonly states = new Map<Tensor, AdamState>();

  constructor(params: Iterable<Parameter>, options: AdamWOptions = {}) {
    super(params, options.lr ?? 1e-3, 'AdamW');
    this.betas = checkBetas(options.betas ?? [0.9, 0.999], 'AdamW');
    this.eps = nonNegativeNumber(options.eps ?? 1e-8, 'eps', 'AdamW');
    this.weightDecay = nonNegativeNumber(options.weightDecay ?? 1e-2, 'weightDecay', 'AdamW');
  }

  /** The state of a parameter (null before its first step). */
  stateOf(param: Parameter): AdamState | null {
    return this.states.get(param) ?? null;
  }

  protected update(active: readonly ActiveParam[]): void {
    const ctx = this.ctx;
    const [beta1, beta2] = this.betas;
    // Per-step scalars, in float64 as PyTorch computes them in Python, by parameter slot: 1 - lr·wd, lr / bc1,
    // sqrt(bc2).
    const states = active.map(({ param }) => {
      let state = this.states.get(param);
      if (!state) {
        state = { m: ctx.zeros(param.shape, 'float32', 'adamw-m'), v: ctx.zeros(param.shape, 'float32', 'adamw-v'), step: 0 };
        this.states.set(param, state);
      }
      return state;
    });
    const hyper = this.perStepTable(3 * this.params.length, (table) => {
      active.forEach(({ index }, k) => {
        const state = states[k];
        state.step++;
        table[3 * index] = 1 - this.lr * this.weightDecay;
        table[3 * index + 1] = this.lr / (1 - beta1 ** state.step);
        table[3 * index + 2] = Math.sqrt(1 - beta2 ** state.step);
      });
    });
    active.forEach(({ param, grad, index }, k) => {
      dispatchOptim(ctx, 'adamw_step', param.numel, { x: param, grad, m: states[k].m, v: states[k].v, hyper }, {
        n: param.numel,
        slot: index,
        beta1,
        one_minus_beta1: 1 - beta1,
        beta2,
        one_minus_beta2: 1 - beta2,
        eps: this.eps,
      });
    });
  }

  protected disposeState(): void {
    for (const s of this.states.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.states.clear();
  }
}
