// Reductions (shaders/reduce.wgsl): sum over an axis with its gradient, and the global L2 norm of many
// buffers (gradient clipping) computed entirely on the GPU.
import reduceSource from '../../shaders/reduce.wgsl?raw';
import common from '../../shaders/common.wgsl?raw';
import { wgslConstant, withSnippets } from '../core/wgsl.js';
import type { Context } from '../core/context.js';
import type { Tensor } from '../core/tensor.js';
import { record } from '../core/autograd.js';
import { shapeString } from '../core/shape.js';
import { grid } from './grid.js';

const FILE = 'reduce.wgsl';
const source = withSnippets(reduceSource, common);

function sumAxisInto(out: Tensor, inp: Tensor, outer: number, R: number, inner: number, accumulate: boolean): void {
  const ctx = out.ctx;
  const kernel = ctx.kernel({ file: FILE, source, entry: 'sum_axis_forward', constants: { ACCUMULATE: accumulate ? 1 : 0 } });
  ctx.dispatch(kernel, grid(ctx, outer * inner, kernel), { inp, out }, { outer, R, inner });
}

/** dBias[N] (+)= Σ_rows dOut[M, N] (bias gradients; accumulate false overwrites). */
export function sumRowsInto(out: Tensor, inp: Tensor, M: number, N: number, accumulate = true): void {
  sumAxisInto(out, inp, 1, M, N, accumulate);
}

/** Sum over one axis (dropped from the shape, as torch.sum(x, dim)). */
export function sum(x: Tensor, axis: number): Tensor {
  if (x.dtype !== 'float32') throw new TypeError('sum: expected a float32 tensor');
  const rank = x.shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= rank) throw new RangeError(`sum: axis ${axis} is out of range for shape ${shapeString(x.shape)}`);
  const outer = x.shape.slice(0, ax).reduce((a, b) => a * b, 1);
  const R = x.shape[ax];
  const inner = x.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const outShape = x.shape.filter((_, i) => i !== ax);
  const out = x.ctx.empty(outShape, 'float32', 'sum');
  sumAxisInto(out, x, outer, R, inner, false);
  record('sum', [x], [out], [], ([dOut], sink) => {
    if (!sink.needs(0)) return;
    const dx = sink.add(0);
    const ctx = x.ctx;
    const kernel = ctx.kernel({ file: FILE, source, entry: 'sum_axis_backward' });
    ctx.dispatch(kernel, grid(ctx, outer * R * inner, kernel), { dinp: dx, dout: dOut! }, { outer, R, inner });
  });
  return out;
}

/** Buffers one sum_squares dispatch reduces (one workgroup each). */
const SQUARES_PER_DISPATCH = wgslConstant(reduceSource, 'SQUARES_PER_DISPATCH');
// Its bindings in workgroup order: inp, inp1, inp2, ... (a name the shader lacks fails at ctx.dispatch).
const SQUARES_INPUTS = Array.from({ length: SQUARES_PER_DISPATCH }, (_, k) => (k ? `inp${k}` : 'inp'));

/**
 * √(Σ over all tensors of Σ x²) into a new scalar tensor [1], on the GPU: sum_squares dispatches of up to
 * SQUARES_PER_DISPATCH tensors each put every tensor's Σ x² in a slot of a partials buffer, then one global_norm.
 */
export function globalNorm(ctx: Context, tensors: readonly Tensor[]): Tensor {
  const partials = ctx.empty([Math.max(1, tensors.length)], 'float32', 'norm-partials');
  const squares = ctx.kernel({ file: FILE, source, entry: 'sum_squares' });
  for (let first = 0; first < tensors.length; first += SQUARES_PER_DISPATCH) {
    const group = tensors.slice(first, first + SQUARES_PER_DISPATCH);
    const bindings: Record<string, Tensor | GPUBuffer> = { partials };
    const params: Record<string, number> = { slot: first };
    SQUARES_INPUTS.forEach((name, k) => {
      bindings[name] = group[k] ?? ctx.dummyBuffer();
      params[`n${k}`] = group[k]?.numel ?? 0;
    });
    ctx.dispatch(squares, [group.length], bindings, params);
  }
  const norm = ctx.empty([1], 'float32', 'norm');
  const finish = ctx.kernel({ file: FILE, source, entry: 'global_norm' });
  ctx.dispatch(finish, [1], { out: norm, partials }, { count: tensors.length });
  partials.dispose();
  return norm;
}
