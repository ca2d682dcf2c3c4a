// torch.optim.lr_scheduler: StepLR and CosineAnnealingLR, in PyTorch's recursive (chainable) form, computed in
// float64 on the CPU as PyTorch does in Python. They only set opt.lr: the optimizers pass it to the GPU through
// their small per-step `hyper` buffer, so a schedule changes no pipeline and reads nothing back.
import { nonNegativeNumber, positiveInteger } from '../core/validate.js';
import { Optimizer } from './optimizer.js';

/** PyTorch's param_group['initial_lr']: set by the first scheduler attached to an optimizer, kept by the next. */
const initialLrs = new WeakMap<Optimizer, number>();

export abstract class LRScheduler {
  /** The optimizer whose lr this schedule sets. */
  readonly optimizer: Optimizer;
  /** The optimizer's lr when its first scheduler was made (PyTorch's base_lrs[0]). */
  readonly baseLr: number;
  /** Epochs stepped so far (0 after construction, as PyTorch's last_epoch). */
  lastEpoch = -1;
  private _lastLr: number;

  protected constructor(optimizer: Optimizer, protected readonly name: string) {
    if (!(optimizer instanceof Optimizer)) throw new TypeError(`${name}: expected a webrnn optimizer, got ${String(optimizer)}`);
    this.optimizer = optimizer;
    this.baseLr = initialLrs.get(optimizer) ?? optimizer.lr;
    this._lastLr = optimizer.lr;
  }

  /** The learning rate this schedule set last (PyTorch's get_last_lr()[0]). */
  get lastLr(): number {
    return this._lastLr;
  }

  /** Advances one epoch and sets the optimizer's lr for it (call after the epoch's optimizer steps). */
  step(): void {
    this.lastEpoch++;
    const lr = this.lrAt(this.lastEpoch, this.optimizer.lr);
    this.optimizer.lr = lr; // validated there: a schedule that would make lr negative throws, lr unchanged
    this._lastLr = lr;
  }

  /** The lr for `epoch` given the current one (PyTorch's get_lr, recursive form). */
  protected abstract lrAt(epoch: number, lr: number): number;

  /** PyTorch's _initial_step: epoch 0, whose lr is the optimizer's. Called once the options are checked, so a
   *  scheduler refused for bad options leaves the optimizer as it was. */
  protected initialStep(): void {
    if (!initialLrs.has(this.optimizer)) initialLrs.set(this.optimizer, this.baseLr);
    this.step();
  }
}

export interface StepLROptions {
  /** Epochs between decays. */
  stepSize: number;
  /** Factor applied every stepSize epochs (default 0.1). */
  gamma?: number;
}

/** torch.optim.lr_scheduler.StepLR: lr ← lr·gamma at every epoch that is a multiple of stepSize. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: Optimizer, options: StepLROptions) {
    super(optimizer, 'StepLR');
    this.stepSize = positiveInteger(options?.stepSize, 'stepSize', 'StepLR');
    this.gamma = nonNegativeNumber(options.gamma ?? 0.1, 'gamma', 'StepLR');
    this.initialStep();
  }

  protected lrAt(epoch: number, lr: number): number {
    if (epoch === 0 || epoch % this.stepSize !== 0) return lr;
    return lr * this.gamma;
  }
}

export interface CosineAnnealingLROptions {
  /** Epochs of one half period. */
  tMax: number;
  /** The lowest lr (default 0). */
  etaMin?: number;
}

/**
 * torch.optim.lr_scheduler.CosineAnnealingLR: lr follows etaMin + (baseLr - etaMin)·(1 + cos(π·epoch / tMax)) / 2,
 * computed recursively from the current lr as PyTorch does (so its values match PyTorch's to the last bit of a
 * float64, and past tMax it rises again).
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: Optimizer, options: CosineAnnealingLROptions) {
    super(optimizer, 'CosineAnnealingLR');
    this.tMax = positiveInteger(options?.tMax, 'tMax', 'CosineAnnealingLR');
    this.etaMin = nonNegativeNumber(options.etaMin ?? 0, 'etaMin', 'CosineAnnealingLR');
    this.initialStep();
  }

  protected lrAt(epoch: number, lr: number): number {
    const { tMax, etaMin } = this;
    if (epoch === 0) return lr;
    const period = 2 * tMax;
    if ((((epoch - 1 - tMax) % period) + period) % period === 0) {
      // Python's %, never negative: the epoch after a trough
      return lr + ((this.baseLr - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2;
    }
    return ((1 + Math.cos((Math.PI * epoch) / tMax)) / (1 + Math.cos((Math.PI * (epoch - 1)) / tMax))) * (lr - etaMin) + etaMin;
  }
}
