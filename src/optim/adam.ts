// torch.optim.Adam (amsgrad and maximize off), with optional L2 weight decay added to the gradient.
import type { Parameter } from '../core/tensor.js';
import type { Context } from '../core/context.js';
import { dispatchOptim } from './kernels.js';
import type { ActiveParam } from './optimizer.js';
import { AdamBase, type AdamBaseOptions, type AdamState } from './adam_base.js';

export type { AdamState } from './adam_base.js';

export interface AdamOptions extends AdamBaseOptions {
  /** L2 penalty added to the gradient (default 0; this is Adam's, not AdamW's, weight decay). */
  weightDecay?: number;
}

export class Adam extends AdamBase {
  protected readonly scalarsPerSlot = 2;

  constructor(params: Iterable<Parameter>, options: AdamOptions = {}) {
    super(params, options, 'Adam', 0);
  }

  /** lr / bc1, sqrt(bc2). */
  protected fillScalars(table: Float32Array, offset: number, step: number): void {
    const [beta1, beta2] = this.betas;
    table[offset] = this.lr / (1 - beta1 ** step);
    table[offset + 1] = Math.sqrt(1 - beta2 ** step);
  }

  protected dispatchStep(ctx: Context, { param, grad, index }: ActiveParam, state: AdamState, hyper: GPUBuffer): void {
    const [beta1, beta2] = this.betas;
    dispatchOptim(ctx, 'adam_step', param.numel, { x: param, grad, m: state.m, v: state.v, hyper }, {
      n: param.numel,
      slot: index,
      beta1_weight: 1 - beta1,
      beta2,
      one_minus_beta2: 1 - beta2,
      eps: this.eps,
      weight_decay: this.weightDecay,
    });
  }
}
