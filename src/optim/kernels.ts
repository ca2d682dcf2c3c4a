// The kernels of shaders/optim.wgsl: optimizer updates and gradient clipping, dispatched without read-backs.
import optimSource from '../../shaders/optim.wgsl?raw';
import common from '../../shaders/common.wgsl?raw';
import type { Context } from '../core/context.js';
import type { Bindings, Params } from '../core/bindings.js';
import type { Tensor } from '../core/tensor.js';
import { withSnippets } from '../core/wgsl.js';
import { grid } from '../core/grid.js';

const FILE = 'optim.wgsl';
const source = withSnippets(optimSource, common);

export type OptimEntry =
  | 'sgd_step'
  | 'sgd_momentum_step'
  | 'adam_step'
  | 'adamw_step'
  | 'rmsprop_step'
  | 'rmsprop_momentum_step'
  | 'rmsprop_centered_step'
  | 'rmsprop_centered_momentum_step'
  | 'clip_coefficient'
  | 'scale_by_coefficient'
  | 'clip_grad_value';

/**
 * Encodes one optim.wgsl dispatch over `threads` elements. Bindings and params by their WGSL names (each entry
 * point's own uniform struct), checked against the shader.
 */
export function dispatchOptim(ctx: Context, entry: OptimEntry, threads: number, bindings: Bindings, params: Params): void {
  const kernel = ctx.kernel({ file: FILE, source, entry });
  ctx.dispatch(kernel, grid(ctx, threads, kernel), bindings, params);
}

/** A float32 gradient with the parameter's element count, or an error naming the parameter. */
export function checkGrad(p: Tensor, index: number, what: string): Tensor {
  const g = p.grad!;
  if (g.dtype !== 'float32') throw new TypeError(`${what}: the gradient of parameter ${index} is ${g.dtype}, expected float32`);
  if (g.numel !== p.numel) {
    throw new RangeError(`${what}: the gradient of parameter ${index} has ${g.numel} elements but the parameter has ${p.numel}`);
  }
  if (g.ctx !== p.ctx) throw new Error(`${what}: the gradient of parameter ${index} belongs to another context`);
  return g;
}
