// torch.optim.RMSprop: square-average scaling, optionally centered, with momentum and L2 weight decay.
import type { Parameter, Tensor } from '../core/tensor.js';
import type { Bindings } from '../core/bindings.js';
import { nonNegativeNumber } from '../core/validate.js';
import { dispatchOptim } from './kernels.js';
import { Optimizer, type ActiveParam } from './optimizer.js';

export interface RMSpropOptions {
  /** Learning rate (default 1e-2, as PyTorch). */
  lr?: number;
  /** Smoothing constant of the square average (default 0.99). */
  alpha?: number;
  /** Added to the denominator (default 1e-8). */
  eps?: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Normalise by the variance estimate sqrt(E[g²] - E[g]²) instead of sqrt(E[g²]) (default false). */
  centered?: boolean;
}

/** Per-parameter state, as PyTorch's optimizer.state[p]. */
export interface RMSpropState {
  /** square_avg, same shape as the parameter. */
  squareAvg: Tensor;
  /** momentum_buffer (momentum > 0 only). */
  momentumBuffer: Tensor | null;
  /** grad_avg (centered only). */
  gradAvg: Tensor | null;
  /** Steps taken by this parameter. */
  step: number;
}

export class RMSprop extends Optimizer {
  readonly alpha: number;
  readonly eps: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly centered: boolean;
  private readonly states = new Map<Tensor, RMSpropState>();

  constructor(params: Iterable<Parameter>, options: RMSpropOptions = {}) {
    super(params, options.lr ?? 1e-2, 'RMSprop');
    this.alpha = nonNegativeNumber(options.alpha ?? 0.99, 'alpha', 'RMSprop');
    this.eps = nonNegativeNumber(options.eps ?? 1e-8, 'eps', 'RMSprop');
    this.momentum = nonNegativeNumber(options.momentum ?? 0, 'momentum', 'RMSprop');
    this.weightDecay = nonNegativeNumber(options.weightDecay ?? 0, 'weightDecay', 'RMSprop');
    const centered = options.centered ?? false;
    if (typeof centered !== 'boolean') throw new TypeError(`RMSprop: centered must be a boolean, got ${String(centered)}`);
    this.centered = centered;
  }

  /** The state of a parameter (null before its first step). */
  stateOf(param: Parameter): RMSpropState | null {
    return this.states.get(param) ?? null;
  }

  protected update(active: readonly ActiveParam[]): void {
    const ctx = this.ctx;
    const hyper = this.lrBuffer();
    const entry = this.centered
      ? this.momentum > 0 ? 'rmsprop_centered_momentum_step' : 'rmsprop_centered_step'
      : this.momentum > 0 ? 'rmsprop_momentum_step' : 'rmsprop_step';
    const fields = { alpha: this.alpha, one_minus_alpha: 1 - this.alpha, eps: this.eps, weight_decay: this.weightDecay, momentum: this.momentum };
    for (const { param, grad } of active) {
      let state = this.states.get(param);
      if (!state) {
        state = {
          squareAvg: ctx.zeros(param.shape, 'float32', 'rmsprop-square-avg'),
          momentumBuffer: this.momentum > 0 ? ctx.zeros(param.shape, 'float32', 'rmsprop-momentum') : null,
          gradAvg: this.centered ? ctx.zeros(param.shape, 'float32', 'rmsprop-grad-avg') : null,
          step: 0,
        };
        this.states.set(param, state);
      }
      state.step++;
      const bindings: Bindings = {
        x: param,
        grad,
        v: state.squareAvg,
        hyper,
        ...(state.momentumBuffer ? { m: state.momentumBuffer } : {}),
        ...(state.gradAvg ? { grad_avg: state.gradAvg } : {}),
      };
      dispatchOptim(ctx, entry, param.numel, bindings, { n: param.numel, ...fields });
    }
  }

  protected disposeState(): void {
    for (const s of this.states.values()) {
      s.squareAvg.dispose();
      s.momentumBuffer?.dispose();
      s.gradAvg?.dispose();
    }
    this.states.clear();
  }
}
