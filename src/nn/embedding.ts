// nn.Embedding: a [numEmbeddings, embeddingDim] table looked up by int32 ids (the gather op); row paddingIdx
// starts at zero and its gradient stays zero, as in PyTorch.
import type { Context } from '../core/context.js';
import { Parameter, type Tensor } from '../core/tensor.js';
import { gather, assertIdsInRange } from '../ops/gather.js';
import { Module, initRng } from './module.js';
import { positiveInteger } from '../core/validate.js';
import { checkAllocation, withTrainingState, TRAINING_STATE } from '../core/limits.js';

export interface EmbeddingOptions {
  numEmbeddings: number;
  embeddingDim: number;
  /** A row that is zero at init and gets no gradient; negative counts from the end, as in PyTorch. */
  paddingIdx?: number | null;
  /** Seed for the initial weights (default: Math.random). */
  seed?: number;
}

/** N(0, 1) samples by Box-Muller from a uniform source in [0, 1). */
function normalArray(n: number, rng: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng()));
    const a = 2 * Math.PI * rng();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** The padding row in [0, numEmbeddings), or null. */
  readonly paddingIdx: number | null;
  readonly weight: Parameter; // [numEmbeddings, embeddingDim]

  constructor(ctx: Context, opts: EmbeddingOptions) {
    super(ctx);
    const V = (this.numEmbeddings = positiveInteger(opts.numEmbeddings, 'numEmbeddings', 'Embedding'));
    const D = (this.embeddingDim = positiveInteger(opts.embeddingDim, 'embeddingDim', 'Embedding'));
    const pad = opts.paddingIdx ?? null;
    if (pad !== null && (typeof pad !== 'number' || !Number.isInteger(pad) || pad < -V || pad >= V)) {
      throw new RangeError(`Embedding: paddingIdx must be an integer in [-${V}, ${V}) (numEmbeddings ${V}), got ${String(pad)}`);
    }
    this.paddingIdx = pad === null ? null : pad < 0 ? pad + V : pad;
    checkAllocation(ctx, 'Embedding', withTrainingState([[`weight [${V}, ${D}]`, V * D]]), 'numEmbeddings or embeddingDim', TRAINING_STATE);
    const data = normalArray(V * D, initRng(opts.seed));
    if (this.paddingIdx !== null) data.fill(0, this.paddingIdx * D, (this.paddingIdx + 1) * D);
    this.weight = this.registerParameter('weight', new Parameter(ctx.tensor(data, [V, D])));
  }

  /** ids: int32, any shape → float32 [...ids.shape, embeddingDim]. */
  forward(ids: Tensor): Tensor {
    if (ids.dtype !== 'int32') throw new TypeError(`Embedding: ids must be int32, got ${ids.dtype}`);
    assertIdsInRange(ids, this.numEmbeddings, `Embedding (numEmbeddings ${this.numEmbeddings})`);
    return gather(this.weight, ids, { paddingIdx: this.paddingIdx });
  }
}
