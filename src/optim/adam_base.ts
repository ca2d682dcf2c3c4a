// What torch.optim.Adam and AdamW share: options, per-parameter moments, the per-step scalar table and disposal.
// Each subclass says only how its step differs (its scalars and its kernel).
import type { Parameter, Tensor } from '../core/tensor.js';
import type { Context } from '../core/context.js';
import { nonNegativeNumber } from '../core/validate.js';
import { Optimizer, checkBetas, type ActiveParam } from './optimizer.js';

/** The options Adam and AdamW share; each documents its own weightDecay. */
export interface AdamBaseOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Coefficients of the running averages of the gradient and its square, each in [0, 1) (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator (default 1e-8). */
  eps?: number;
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

export abstract class AdamBase extends Optimizer {
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  private readonly states = new Map<Tensor, AdamState>();

  protected constructor(params: Iterable<Parameter>, options: AdamBaseOptions, name: string, defaultWeightDecay: number) {
    super(params, options.lr ?? 1e-3, name);
    this.betas = checkBetas(options.betas ?? [0.9, 0.999], name);
    this.eps = nonNegativeNumber(options.eps ?? 1e-8, 'eps', name);
    this.weightDecay = nonNegativeNumber(options.weightDecay ?? defaultWeightDecay, 'weightDecay', name);
  }

  /** The state of a parameter (null before its first step). */
  stateOf(param: Parameter): AdamState | null {
    return this.states.get(param) ?? null;
  }

  /** How many per-step scalars each parameter slot has in the `hyper` table. */
  protected abstract readonly scalarsPerSlot: number;

  /** Writes one parameter's per-step scalars (float64 maths, as PyTorch's Python) at table[offset...]. */
  protected abstract fillScalars(table: Float32Array, offset: number, step: number): void;

  /** Encodes one parameter's update kernel. */
  protected abstract dispatchStep(ctx: Context, active: ActiveParam, state: AdamState, hyper: GPUBuffer): void;

  protected update(active: readonly ActiveParam[]): void {
    const ctx = this.ctx;
    const label = this.name.toLowerCase();
    const states = active.map(({ param }) => {
      let state = this.states.get(param);
      if (!state) {
        state = { m: ctx.zeros(param.shape, 'float32', `${label}-m`), v: ctx.zeros(param.shape, 'float32', `${label}-v`), step: 0 };
        this.states.set(param, state);
      }
      return state;
    });
    const width = this.scalarsPerSlot;
    const hyper = this.perStepTable(width * this.params.length, (table) => {
      active.forEach(({ index }, k) => {
        const state = states[k];
        state.step++;
        this.fillScalars(table, width * index, state.step);
      });
    });
    active.forEach((entry, k) => this.dispatchStep(ctx, entry, states[k], hyper));
  }

  protected disposeState(): void {
    for (const s of this.states.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.states.clear();
  }
}
