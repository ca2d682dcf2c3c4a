// torch.optim.SGD: plain, with momentum (dampening, Nesterov) and L2 weight decay.
import type { Parameter, Tensor } from '../core/tensor.js';
import { dispatchOptim } from './kernels.js';
import { Optimizer, type ActiveParam } from './optimizer.js';
import { nonNegativeNumber } from '../core/validate.js';

export interface SGDOptions {
  /** Learning rate (default 1e-3, as PyTorch 2). */
  lr?: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Dampening for momentum (default 0). */
  dampening?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private readonly buffers = new Map<Tensor, Tensor>();

  constructor(params: Iterable<Parameter>, options: SGDOptions = {}) {
    super(params, options.lr ?? 1e-3, 'SGD');
    this.momentum = nonNegativeNumber(options.momentum ?? 0, 'momentum', 'SGD');
    this.dampening = nonNegativeNumber(options.dampening ?? 0, 'dampening', 'SGD');
    this.weightDecay = nonNegativeNumber(options.weightDecay ?? 0, 'weightDecay', 'SGD');
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError('SGD: Nesterov momentum requires a momentum > 0 and zero dampening');
    }
  }

  /** The momentum buffer of a parameter (null before its first step or without momentum). */
  momentumBuffer(param: Parameter): Tensor | null {
    return this.buffers.get(param) ?? null;
  }

  protected update(active: readonly ActiveParam[]): void {
    const ctx = this.ctx;
    const hyper = this.lrBuffer();
    for (const { param, grad } of active) {
      if (this.momentum === 0) {
        dispatchOptim(ctx, 'sgd_step', param.numel, { x: param, grad, hyper }, { n: param.numel, weight_decay: this.weightDecay });
        continue;
      }
      let buf = this.buffers.get(param);
      const first = !buf;
      if (!buf) {
        buf = ctx.empty(param.shape, 'float32', 'sgd-momentum');
        this.buffers.set(param, buf);
      }
      dispatchOptim(ctx, 'sgd_momentum_step', param.numel, { x: param, grad, m: buf, hyper }, {
        n: param.numel,
        weight_decay: this.weightDecay,
        momentum: this.momentum,
        dampening_keep: 1 - this.dampening,
        flags: (first ? 1 : 0) | (this.nesterov ? 2 : 0),
      });
    }
  }

  protected disposeState(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}
