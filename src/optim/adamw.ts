// torch.optim.AdamW (amsgrad and maximize off): Adam with decoupled weight decay, p ← p·(1 - lr·weightDecay).
import type { Parameter } from '../core/tensor.js';
import type { Context } from '../core/context.js';
import { dispatchOptim } from './kernels.js';
import type { ActiveParam } from './optimizer.js';
import { AdamBase, type AdamBaseOptions, type AdamState } from './adam_base.js';

export interface AdamWOptions extends AdamBaseOptions {
  /** Decoupled weight decay: each step multiplies the parameter by 1 - lr·weightDecay first (default 1e-2). */
  weightDecay?: number;
}

export class AdamW extends AdamBase {
  protected readonly scalarsPerSlot = 3;

  constructor(params: Iterable<Parameter>, options: AdamWOptions = {}) {
    super(params, options, 'AdamW', 1e-2);
  }

  /** 1 - lr·wd, lr / bc1, sqrt(bc2). */
  protected fillScalars(table: Float32Array, offset: number, step: number): void {
    const [beta1, beta2] = this.betas;
    table[offset] = 1 - this.lr * this.weightDecay;
    table[offset + 1] = this.lr / (1 - beta1 ** step);
    table[offset + 2] = Math.sqrt(1 - beta2 ** step);
  }

  protected dispatchStep(ctx: Context, { param, grad, index }: ActiveParam, state: AdamState, hyper: GPUBuffer): void {
    const [beta1, beta2] = this.betas;
    dispatchOptim(ctx, 'adamw_step', param.numel, { x: param, grad, m: state.m, v: state.v, hyper }, {
      n: param.numel,
      slot: index,
      beta1,
      one_minus_beta1: 1 - beta1,
      beta2,
      one_minus_beta2: 1 - beta2,
      eps: this.eps,
    });
  }
}
