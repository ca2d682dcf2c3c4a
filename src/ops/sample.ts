// Next-token selection on the GPU (shaders/sample.wgsl): argmax or temperature sampling.
import sampleSource from '../../shaders/sample.wgsl?raw';
import common from '../../shaders/common.wgsl?raw';
import { withSnippets } from '../core/wgsl.js';
import type { Tensor } from '../core/tensor.js';

const source = withSnippets(sampleSource, common);

/**
 * Picks a token from logits [V] (greedy when temperature is 0), writing it to generated[position] and
 * nextId[0]. `uniforms` [n] holds the uniform draws for sampling.
 */
export function sampleTokenInto(logits: Tensor, uniforms: Tensor, generated: Tensor, nextId: Tensor, position: number, temperature: number): void {
  const ctx = logits.ctx;
  const V = logits.numel;
  const kernel = ctx.kernel({ file: 'sample.wgsl', source, entry: 'sample_token' });
  ctx.dispatch(kernel, [1], { logits, uniforms, generated, next_id: nextId }, { V, position, temperature });
}
