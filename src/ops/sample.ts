// Next-token selection on the GPU (shaders/sample.wgsl): argmax or temperature sampling.
import source from '../../shaders/sample.wgsl?raw';
import { f32bits } from '../core/context.js';
import type { Tensor } from '../core/tensor.js';

/**
 * Picks a token from logits [V] (greedy when temperature is 0), writing it to generated[position] and
 * nextId[0]. `uniforms` [n] holds the uniform draws for sampling.
 */
export function sampleTokenInto(logits: Tensor, uniforms: Tensor, generated: Tensor, nextId: Tensor, position: number, temperature: number): void {
  const ctx = logits.ctx;
  const V = logits.numel;
  const kernel = ctx.kernel({ file: 'sample.wgsl', source, entry: 'sample_token' });
  ctx.dispatch(kernel, [1], [logits, uniforms, generated, nextId], [V, position, f32bits(temperature)]);
}
