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

/** optim.wgsl's storage bindings by name: x (binding 1), grad (2), m (3), v (4), hyper (5), norm (6), coef (7),
 *  gradAvg (8); the ones an entry point does not use are left out. */
export interface OptimBindings {
  x?: Binding;
  grad?: Binding;
  m?: Binding;
  v?: Binding;
  hyper?: Binding;
  norm?: Binding;
  coef?: Binding;
  gradAvg?: Binding;
}

function positional(b: OptimBindings): Binding[] {
  const bindings: Binding[] = [b.x, b.grad, b.m, b.v, b.hyper, b.norm, b.coef, b.gradAvg].map((t) => t ?? null);
  while (bindings.length && bindings[bindings.length - 1] === null) bindings.pop();
  return bindings;
}

/** Encodes one dispatch of an entry point that reads the shared `Params` struct. */
export function dispatchOptim(ctx: Context, entry: OptimEntry, threads: number, b: OptimBindings, params: OptimParams): void {
  const kernel = ctx.kernel({ file: FILE, source, entry });
  const groups = entry === 'clip_coefficient' ? [1] : grid(ctx, threads);
  ctx.dispatch(kernel, groups, positional(b), paramWords(params));
}

/** The entry points with a uniform struct of their own (AdamWParams, RMSpropParams, ClipValueParams). */
export type OwnParamsEntry =
  | 'adamw_step'
  | 'rmsprop_step'
  | 'rmsprop_momentum_step'
  | 'rmsprop_centered_step'
  | 'rmsprop_centered_momentum_step'
  | 'clip_grad_value';

/** Encodes one elementwise dispatch (a thread per element) of such an entry point; `words` is its struct, in order. */
export function dispatchOwnParams(ctx: Context, entry: OwnParamsEntry, threads: number, b: OptimBindings, words: readonly number[]): void {
  ctx.dispatch(ctx.kernel({ file: FILE, source, entry }), grid(ctx, threads), positional(b), words);
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
