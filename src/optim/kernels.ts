// The kernels of shaders/optim.wgsl: optimizer updates and gradient clipping, dispatched without read-backs.
import source from '../../shaders/optim.wgsl?raw';
import { f32bits, type Binding, type Context } from '../core/context.js';
import type { Tensor } from '../core/tensor.js';
import { grid } from '../ops/grid.js';

const FILE = 'optim.wgsl';

export type OptimEntry = 'sgd_step' | 'sgd_momentum_step' | 'adam_step' | 'clip_coefficient' | 'scale_by_coefficient';

/** The fields of the WGSL `Params` struct (floats are converted to float32 bit patterns). */
export interface OptimParams {
  n?: number;
  slot?: number;
  beta1Weight?: number;
  beta2?: number;
  oneMinusBeta2?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  dampeningKeep?: number;
  flags?: number;
  maxNorm?: number;
}

/** The 12 u32 words of `Params`, always complete (the uniform must cover the whole struct). */
export function paramWords(q: OptimParams): number[] {
  return [
    q.n ?? 0,
    q.slot ?? 0,
    f32bits(q.beta1Weight ?? 0),
    f32bits(q.beta2 ?? 0),
    f32bits(q.oneMinusBeta2 ?? 0),
    f32bits(q.eps ?? 0),
    f32bits(q.weightDecay ?? 0),
    f32bits(q.momentum ?? 0),
    f32bits(q.dampeningKeep ?? 0),
    q.flags ?? 0,
    f32bits(q.maxNorm ?? 0),
    0,
  ];
}

/**
 * Encodes one optim.wgsl dispatch. Bindings by name: x (binding 1), grad (2), m (3), v (4), hyper (5),
 * norm (6), coef (7); the ones the entry point does not use are left out.
 */
export function dispatchOptim(
  ctx: Context,
  entry: OptimEntry,
  threads: number,
  b: { x?: Binding; grad?: Binding; m?: Binding; v?: Binding; hyper?: Binding; norm?: Binding; coef?: Binding },
  params: OptimParams,
): void {
  const kernel = ctx.kernel({ file: FILE, source, entry });
  const bindings: Binding[] = [b.x ?? null, b.grad ?? null, b.m ?? null, b.v ?? null, b.hyper ?? null, b.norm ?? null, b.coef ?? null];
  while (bindings.length && bindings[bindings.length - 1] === null) bindings.pop();
  const groups = entry === 'clip_coefficient' ? [1] : grid(ctx, threads);
  ctx.dispatch(kernel, groups, bindings, paramWords(params));
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
