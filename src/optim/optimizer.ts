// Base class of the optimizers (PyTorch's torch.optim.Optimizer with a single parameter group).
import type { Context } from '../core/context.js';
import { Tensor, type Parameter } from '../core/tensor.js';
import { checkGrad } from './kernels.js';
import { nonNegativeNumber } from '../core/validate.js';

/** A parameter that has a gradient this step, with its index in `params` (its slot in per-step tables). */
export interface ActiveParam {
  param: Parameter;
  grad: Tensor;
  index: number;
}

/** Adam's and AdamW's betas: a pair, each in [0, 1), or a RangeError naming the bad one. */
export function checkBetas(betas: unknown, owner: string): readonly [number, number] {
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new RangeError(`${owner}: betas must be a pair [beta1, beta2], got ${String(betas)}`);
  }
  betas.forEach((b, i) => {
    if (typeof b !== 'number' || !(b >= 0 && b < 1)) {
      throw new RangeError(`${owner}: betas[${i}] must be in [0, 1), got ${String(b)}`);
    }
  });
  return Object.freeze([betas[0], betas[1]]) as readonly [number, number];
}

export abstract class Optimizer {
  /** The parameters updated by step(), in the order given. */
  readonly params: Parameter[];
  readonly ctx: Context;
  /** Number of step() calls so far. */
  stepCount = 0;
  private _lr: number;
  private disposed = false;
  /** [1] holding lr on the GPU, remade only when lr changes, so uniforms stay the same across steps. */
  private lrTensor: Tensor | null = null;
  private lrTensorValue = NaN;
  /** perStepTable's buffer. */
  private table: GPUBuffer | null = null;

  protected constructor(params: Iterable<Parameter>, lr: number, protected readonly name: string) {
    if (params instanceof Tensor) {
      throw new TypeError(`${name}: params must be an iterable of Parameters (e.g. model.parameters()), not a single tensor`);
    }
    if (params == null || typeof (params as Iterable<Parameter>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`${name}: params must be an iterable of Parameters, got ${String(params)}`);
    }
    const list = Array.from(params);
    if (list.length === 0) throw new Error(`${name}: optimizer got an empty parameter list`);
    const seen = new Set<Tensor>();
    list.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${name}: parameter ${i} is not a Tensor`);
      if (p.dtype !== 'float32') throw new TypeError(`${name}: parameter ${i} is ${p.dtype}; only float32 tensors can be optimized`);
      if (p.isDisposed) throw new Error(`${name}: parameter ${i} was disposed`);
      if (p.ctx !== list[0].ctx) throw new Error(`${name}: parameter ${i} belongs to another context than parameter 0`);
      if (seen.has(p)) throw new Error(`${name}: parameter ${i} appears more than once in the parameter list`);
      seen.add(p);
    });
    this.params = list;
    this.ctx = list[0].ctx;
    this._lr = nonNegativeNumber(lr, 'lr', name);
  }

  /** The learning rate used by the next step(); set it for schedules (0 allowed, as in PyTorch: lr >= 0). */
  get lr(): number {
    return this._lr;
  }

  set lr(value: number) {
    this._lr = nonNegativeNumber(value, 'lr', this.name);
  }

  /**
   * Clears the gradients. By default (PyTorch 2's set_to_none=True) every p.grad is disposed and set to null;
   * with setToNone = false existing gradients are filled with zeros instead.
   */
  zeroGrad(setToNone = true): void {
    for (const p of this.params) {
      const g = p.grad;
      if (!g) continue;
      if (setToNone) {
        g.dispose();
        p.grad = null;
      } else if (!g.isDisposed) {
        this.ctx.fillBuffer(g.buffer, 0, g.numel);
      }
    }
  }

  /**
   * Updates every parameter that has a gradient (one dispatch each; parameters whose grad is null are skipped,
   * as in PyTorch), then submits everything encoded so far, so a training step ends as one command buffer.
   */
  step(): void {
    if (this.disposed) throw new Error(`${this.name}: step() after dispose()`);
    this.ctx.assertUsable();
    const active: ActiveParam[] = [];
    this.params.forEach((param, index) => {
      if (param.grad) active.push({ param, grad: checkGrad(param, index, this.name), index });
    });
    if (active.length > 0) this.update(active);
    this.ctx.eachStep(() => this.stepCount++); // a captured step counts its replays too
    this.ctx.flush();
  }

  /** Encodes the updates of the parameters that have gradients. */
  protected abstract update(active: readonly ActiveParam[]): void;

  /** lr as a GPU tensor [1]: the `hyper` of the optimizers whose only per-step value is lr (SGD, RMSprop). One
   *  buffer, rewritten when lr changes: checked every step (through eachStep, so a captured step's replays too). */
  protected lrBuffer(): Tensor {
    const ctx = this.ctx;
    if (!this.lrTensor) {
      this.lrTensor = ctx.tensor(Float32Array.of(this.lr), [1]);
      this.lrTensorValue = this.lr;
    }
    const lr = this.lrTensor;
    ctx.eachStep(() => {
      if (this.lrTensorValue === this.lr) return;
      this.lrTensorValue = this.lr;
      // Unsubmitted work never reads it: every step's reads are submitted by the flush that ends step().
      ctx.writeBuffer(lr.buffer, 0, Float32Array.of(this.lr), true);
    });
    return lr;
  }

  /**
   * A table of per-step scalars the update kernels read by parameter slot (Adam's lr / bc1, sqrt(bc2)), so every
   * uniform stays the same from step to step: one plain buffer (not a tensor), refilled by `fill` every step
   * through eachStep, so a captured step's replays advance it too.
   */
  protected perStepTable(length: number, fill: (table: Float32Array) => void): GPUBuffer {
    const ctx = this.ctx;
    const table = new Float32Array(length);
    if (!this.table || this.table.size < table.byteLength) {
      if (this.table) ctx.pool.release(this.table);
      this.table = ctx.pool.acquire(table.byteLength, `${this.name}-hyper`);
    }
    const buffer = this.table;
    ctx.eachStep(() => {
      fill(table);
      // Unsubmitted work never reads it: every step's reads are submitted by the flush that ends step().
      ctx.writeBuffer(buffer, 0, table, true);
    });
    return buffer;
  }

  /** Frees the optimizer's state tensors (moments, momentum buffers); the optimizer cannot step afterwards. */
  dispose(): void {
    this.disposed = true;
    this.disposeState();
    this.lrTensor?.dispose();
    this.lrTensor = null;
    if (this.table && !this.ctx.isDestroyed) this.ctx.pool.release(this.table);
    this.table = null;
  }

  protected abstract disposeState(): void;
}
