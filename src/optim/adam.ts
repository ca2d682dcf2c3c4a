// torch.optim.Adam (amsgrad and maximize off), with optional L2 weight decay added to the gradient.
import type { Parameter, Tensor } from '../core/tensor.js';
import { dispatchOptim } from './kernels.js';
import { Optimizer, checkBetas, type ActiveParam } from './optimizer.js';
import { nonNegativeNumber } from '../core/validate.js';

export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Coefficients of the running averages of the gradient and its square, each in [0, 1) (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty added to the gradient (default 0; this is Adam's, not AdamW's, weight decay). */
  weightDecay?: number;
}

/** Per-parameter state, as PyTorch's optimizer.state[p]. */
export interface AdamState {
  /** exp_avg, same shape as the parameter. */
  m: Tensor;
  /** exp_avg_sq, same shape as the parameter. */
  v: Tensor;
  /** Steps taken by this parameter (parameters without a gradient are not stepped). */
  step: number;
}

export class Adam extends Optimizer {
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  private readonly states = new Map<Tensor, AdamState>();

  constructor(params: Iterable<Parameter>, options: AdamOptions = {}) {
    super(params, options.lr ?? 1e-3, 'Adam');
    this.betas = checkBetas(options.betas ?? [0.9, 0.999], 'Adam');
    this.eps = nonNegativeNumber(options.eps ?? 1e-8, 'eps', 'Adam');
    this.weightDecay = nonNegativeNumber(options.weightDecay ?? 0, 'weightDecay', 'Adam');
  }

  /** The state of a parameter (null before its first step). */
  stateOf(param: Parameter): AdamState | null {
    return this.states.get(param) ?? null;
  }

  protected update(active: readonly ActiveParam[]): void {
    const ctx = this.ctx;
    const [beta1, beta2] = this.betas;
    const states = active.map(({ param }) => {
      let state = this.states.get(param);
      if (!state) {
        state = { m: ctx.zeros(param.shape, 'float32', 'adam-m'), v: ctx.zeros(param.shape, 'float32', 'adam-v'), step: 0 };
        this.states.set(param, state);
      }
      return state;
    });
    // Per-step scalars (lr / bc1 and sqrt(bc2), computed in float64 as PyTorch does in Python) by parameter slot.
    const hyper = this.perStepTable(2 * this.params.length, (table) => {
      active.forEach(({ index }, k) => {
        const state = states[k];
        state.step++;
        table[2 * index] = this.lr / (1 - beta1 ** state.step);
        table[2 * index + 1] = Math.sqrt(1 - beta2 ** state.step);
      });
    });
    active.forEach(({ param, grad, index }, k) => {
      dispatchOptim(ctx, 'adam_step', param.numel, { x: param, grad, m: states[k].m, v: states[k].v, hyper }, {
        n: param.numel,
        slot: index,
        beta1_weight: 1 - beta1,
        beta2,
        one_minus_beta2: 1 - beta2,
        eps: this.eps,
        weight_decay: this.weightDecay,
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
