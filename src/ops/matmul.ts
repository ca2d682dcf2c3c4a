// Matrix multiply (shaders/matmul.wgsl) with transpose variants and a bias epilogue; backward reuses the
// same kernel with the chain rule's transpose flags and accumulates into the gradients.
import source from '../../shaders/matmul.wgsl?raw';
import type { Context } from '../core/context.js';
import type { Tensor } from '../core/tensor.js';
import { record } from '../core/autograd.js';
import { shapeString } from '../core/shape.js';
import { sumRowsInto } from './reduce.js';
import { wgslConstant } from '../core/wgsl.js';

const FILE = 'matmul.wgsl';

/** 'tiled' (workgroup-memory tiles, for GPUs) or 'simple' (a thread per output, for CPU-emulated adapters).
 *  Chosen from the adapter unless given. */
export type MatmulVariant = 'tiled' | 'simple';
/** Output tile of matmul_forward (BM × BN in the shader). */
const TILE_M = wgslConstant(source, 'BM');
const TILE_N = wgslConstant(source, 'BN');

export interface MatmulOptions {
  /** Use Aᵀ: A is stored [K, M]. */
  transA?: boolean;
  /** Use Bᵀ: B is stored [N, K] (e.g. a PyTorch weight [out, in]). */
  transB?: boolean;
  /** Added to every row: [N]. */
  bias?: Tensor | null;
}

/**
 * Encodes out (+)= op(A)·op(B) (+ bias) on raw tensors, with no tape. out is [M, N].
 */
export function matmulInto(
  out: Tensor, a: Tensor, b: Tensor, M: number, N: number, K: number,
  opts: { transA?: boolean; transB?: boolean; bias?: Tensor | null; accumulate?: boolean; variant?: MatmulVariant } = {},
): void {
  const ctx: Context = out.ctx;
  const variant = opts.variant ?? (ctx.softwareAdapter && M <= ctx.limits.maxComputeWorkgroupsPerDimension ? 'simple' : 'tiled');
  const kernel = ctx.kernel({
    file: FILE,
    source,
    entry: variant === 'tiled' ? 'matmul_forward' : 'matmul_simple',
    constants: {
      TRANS_A: opts.transA ? 1 : 0,
      TRANS_B: opts.transB ? 1 : 0,
      HAS_BIAS: opts.bias ? 1 : 0,
      ACCUMULATE: opts.accumulate ? 1 : 0,
    },
  });
  const groups = variant === 'tiled' ? [Math.ceil(N / TILE_N), Math.ceil(M / TILE_M)] : [Math.ceil(N / kernel.entry!.workgroupSize[0]), M];
  ctx.dispatch(kernel, groups, { A: a, B: b, bias: opts.bias ?? ctx.dummyBuffer(), out }, { M, N, K });
}

/** out = op(A)·op(B) + bias, recorded on the tape. A: [M, K] ([K, M] if transA); B: [K, N] ([N, K] if transB). */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    throw new RangeError(`matmul: expected 2-D tensors, got ${shapeString(a.shape)} and ${shapeString(b.shape)}`);
  }
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new TypeError('matmul: expected float32 tensors');
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const [M, K] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [Kb, N] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (K !== Kb) {
    throw new RangeError(
      `matmul: inner dimensions differ: ${shapeString(a.shape)}${transA ? 'ᵀ' : ''} · ${shapeString(b.shape)}${transB ? 'ᵀ' : ''}`,
    );
  }
  const bias = opts.bias ?? null;
  if (bias && (bias.numel !== N || bias.dtype !== 'float32')) {
    throw new RangeError(`matmul: bias shape ${shapeString(bias.shape)} does not match ${N} output columns`);
  }
  const out = a.ctx.empty([M, N], 'float32', 'matmul');
  matmulInto(out, a, b, M, N, K, { transA, transB, bias });
  record('matmul', [a, b, bias], [out], [a, b], ([dOut], sink, [sa, sb]) => {
    // C = A·B: dA = dC·Bᵀ, dB = Aᵀ·dC, with the stored layouts' transposes folded in. Each target is asked for
    // right before its write (A and B may be one tensor: the second then accumulates).
    if (sink.needs(0)) {
      const { grad, accumulate } = sink.write(0);
      if (transA) matmulInto(grad, sb, dOut!, K, M, N, { transA: transB, transB: true, accumulate }); // dAᵀ = op(B)·dCᵀ
      else matmulInto(grad, dOut!, sb, M, K, N, { transB: !transB, accumulate });
    }
    if (sink.needs(1)) {
      const { grad, accumulate } = sink.write(1);
      if (transB) matmulInto(grad, dOut!, sa, N, K, M, { transA: true, transB: transA, accumulate }); // dBᵀ = dCᵀ·op(A)
      else matmulInto(grad, sa, dOut!, K, N, M, { transA: !transA, accumulate });
    }
    if (sink.needs(2)) {
      const dBias = sink.write(2);
      sumRowsInto(dBias.grad, dOut!, M, N, dBias.accumulate);
    }
  });
  return out;
}
