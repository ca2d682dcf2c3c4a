// nn.Linear: y = x·Wᵀ + b with weight [out, in] as in PyTorch.
import type { Context } from '../core/context.js';
import type { Tensor, Parameter } from '../core/tensor.js';
import { shapeString } from '../core/shape.js';
import { matmul } from '../ops/matmul.js';
import { Module, uniformParameter, initRng, parameterAllocations, type ParameterSpec } from './module.js';
import { checkAllocation, withTrainingState, TRAINING_STATE } from '../core/limits.js';
import { positiveInteger } from '../core/validate.js';

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
  /** Seed for the initial weights (default: Math.random). */
  seed?: number;
}

/** Linear's parameters (weight [out, in], bias [out]), so their sizes can be checked before either is made. */
export function linearParameters(inFeatures: number, outFeatures: number, bias: boolean): ParameterSpec[] {
  const specs: ParameterSpec[] = [{ name: 'weight', shape: [outFeatures, inFeatures], lower: 'inFeatures or outFeatures' }];
  if (bias) specs.push({ name: 'bias', shape: [outFeatures], lower: 'outFeatures' });
  return specs;
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
    const specs = linearParameters(this.inFeatures, this.outFeatures, opts.bias !== false);
    checkAllocation(ctx, 'Linear', withTrainingState(parameterAllocations(specs)), 'inFeatures or outFeatures', TRAINING_STATE);
    const rng = initRng(opts.seed);
    // PyTorch: kaiming_uniform(a=√5) on the weight and U(±1/√in) on the bias both come to U(±1/√in).
    const bound = 1 / Math.sqrt(this.inFeatures);
    const [weight, bias = null] = this.building(() =>
      specs.map((spec) => this.registerParameter(spec.name, uniformParameter(ctx, spec.shape, bound, rng))));
    this.weight = weight;
    this.bias = bias;
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
