// nn.Dropout: zeroes elements with probability p in training mode, the identity in eval mode (no dispatch).
import type { Context } from '../core/context.js';
import type { Tensor } from '../core/tensor.js';
import { dropout, assertDropoutP } from '../ops/dropout.js';
import { Generator } from '../ops/philox.js';
import { Module } from './module.js';

export interface DropoutOptions {
  /** Probability of zeroing an element, in [0, 1] (default 0.5; PyTorch allows 1: everything is zero). */
  p?: number;
  /** The module's own mask stream from this seed; without it (and without `generator`) masks come from the
   *  context's generator (nn.manualSeed). */
  seed?: number;
  /** A generator to draw from (shared with other modules, say). */
  generator?: Generator;
}

export class Dropout extends Module {
  readonly p: number;
  /** The module's own generator, or null: the context's at each call. */
  readonly generator: Generator | null;

  constructor(ctx: Context, opts: DropoutOptions = {}) {
    super(ctx);
    this.p = assertDropoutP(opts.p ?? 0.5, 'p', 'Dropout');
    if (opts.seed !== undefined && opts.generator !== undefined) throw new TypeError('Dropout: give seed or generator, not both');
    if (opts.generator !== undefined && !(opts.generator instanceof Generator)) throw new TypeError('Dropout: generator must be a wr.nn.Generator');
    this.generator = opts.generator ?? (opts.seed !== undefined ? new Generator(opts.seed) : null);
  }

  /** x: float32, any shape → same shape. */
  forward(x: Tensor): Tensor {
    return dropout(x, { p: this.p, training: this.training, generator: this.generator ?? undefined });
  }
}
