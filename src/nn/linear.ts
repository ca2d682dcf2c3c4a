// nn.Linear: y = x·Wᵀ + b with weight [out, in] as in PyTorch.
import type { Context } from '../core/context.js';
import type { Tensor, Parameter } from '../core/tensor.js';
import { shapeString } from '../core/shape.js';
import { matmul } from '../ops/matmul.js';
import { Module, uniformParameter, initRng } from './module.js';
import { positiveInteger } from '../core/validate.js';

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
  /** Seed for the initial weights (default: Math.random). */
  seed?: number;
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Parameter; // [out, in]
  readonly bias: Parameter | null; // [out]

  constructor(ctx: Context, opts: LinearOptions) {
    super(ctx);
    this.inFeatures = positiveInteger(opts.inFeatures, 'inFeatures', 'Linear');
    this.outFeatures = positiveInteger(opts.outFeatures, 'outFeatures', 'Linear');
    const rng = initRng(opts.seed);
    // PyTorch: kaiming_uniform(a=√5) on the weight and U(±1/√in) on the bias both come to U(±1/√in).
    const bound = 1 / Math.sqrt(this.inFeatures);
    this.weight = this.registerParameter('weight', uniformParameter(ctx, [this.outFeatures, this.inFeatures], bound, rng));
    this.bias = opts.bias === false ? null : this.registerParameter('bias', uniformParameter(ctx, [this.outFeatures], bound, rng));
  }

  /** x: [..., in] → [..., out] */
  forward(x: Tensor): Tensor {
    const inF = x.shape[x.shape.length - 1];
    if (x.dtype !== 'float32' || x.shape.length < 1 || inF !== this.inFeatures) {
      throw new RangeError(`Linear: input ${shapeString(x.shape)} should end in inFeatures = ${this.inFeatures}`);
    }
    const rows = x.numel / inF;
    const flat = x.shape.length === 2 ? x : x.reshape([rows, inF]);
    const y = matmul(flat, this.weight, { transB: true, bias: this.bias });
    if (flat !== x) flat.dispose();
    if (x.shape.length === 2) return y;
    const shaped = y.reshape([...x.shape.slice(0, -1), this.outFeatures]);
    y.dispose();
    return shaped;
  }
}
