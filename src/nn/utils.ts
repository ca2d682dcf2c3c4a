// webrnn.nn.utils: gradient clipping (torch.nn.utils.clip_grad_norm_ and clip_grad_value_), entirely on the GPU.
import type { Parameter, Tensor } from '../core/tensor.js';
import { globalNorm } from '../ops/reduce.js';
import { dispatchOptim } from '../optim/kernels.js';
import { nonNegativeNumber, positiveNumber } from '../core/validate.js';

/**
 * Scales the gradients of `params` in place so that their total L2 norm is at most `maxNorm`
 * (grad *= min(1, maxNorm / (norm + 1e-6)), as torch.nn.utils.clip_grad_norm_). Parameters without a gradient
 * are skipped. Nothing is read back to the CPU: the norm and the coefficient stay in GPU buffers.
 * Returns the total norm before clipping as a scalar tensor (shape []), which the caller may read or dispose.
 */
export function clipGradNorm(params: Iterable<Parameter>, maxNorm: number): Tensor {
  positiveNumber(maxNorm, 'maxNorm', 'clipGradNorm');
  if (params == null || typeof (params as Iterable<Parameter>)[Symbol.iterator] !== 'function') {
    throw new TypeError('clipGradNorm: params must be an iterable of Parameters (e.g. model.parameters())');
  }
  const list = Array.from(params);
  if (list.length === 0) throw new Error('clipGradNorm: got an empty parameter list');
  const ctx = list[0].ctx;
  const grads: Tensor[] = [];
  list.forEach((p, i) => {
    const g = p.grad;
    if (!g) return;
    if (g.dtype !== 'float32') throw new TypeError(`clipGradNorm: the gradient of parameter ${i} is ${g.dtype}, expected float32`);
    if (g.ctx !== ctx) throw new Error(`clipGradNorm: parameter ${i} belongs to another context than parameter 0`);
    if (!grads.includes(g)) grads.push(g);
  });
  if (grads.length === 0) return ctx.zeros([], 'float32', 'grad-norm');
  const norm = globalNorm(ctx, grads);
  const coef = ctx.empty([1], 'float32', 'clip-coef');
  dispatchOptim(ctx, 'clip_coefficient', 1, { norm, coef }, { max_norm: maxNorm });
  for (const g of grads) dispatchOptim(ctx, 'scale_by_coefficient', g.numel, { x: g, coef }, { n: g.numel });
  coef.dispose();
  const scalar = norm.view([]);
  norm.dispose();
  return scalar;
}

/**
 * Clamps every gradient element of `params` to [-clipValue, clipValue] in place (torch.nn.utils.clip_grad_value_),
 * one dispatch per gradient, nothing read back. Parameters without a gradient are skipped.
 */
export function clipGradValue(params: Iterable<Parameter>, clipValue: number): void {
  nonNegativeNumber(clipValue, 'clipValue', 'clipGradValue');
  if (params == null || typeof (params as Iterable<Parameter>)[Symbol.iterator] !== 'function') {
    throw new TypeError('clipGradValue: params must be an iterable of Parameters (e.g. model.parameters())');
  }
  const list = Array.from(params);
  const grads: Tensor[] = [];
  list.forEach((p, i) => {
    const g = p.grad;
    if (!g) return;
    if (g.dtype !== 'float32') throw new TypeError(`clipGradValue: the gradient of parameter ${i} is ${g.dtype}, expected float32`);
    if (g.ctx !== list[0].ctx) throw new Error(`clipGradValue: parameter ${i} belongs to another context than parameter 0`);
    if (!grads.includes(g)) grads.push(g);
  });
  for (const g of grads) dispatchOptim(g.ctx, 'clip_grad_value', g.numel, { x: g }, { n: g.numel, clip_value: clipValue });
}
