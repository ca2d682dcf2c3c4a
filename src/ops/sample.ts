// Next-token selection on the GPU (shaders/sample.wgsl): argmax, or temperature sampling restricted to the top k
// tokens and/or the top-p nucleus.
import sampleSource from '../../shaders/sample.wgsl?raw';
import common from '../../shaders/common.wgsl?raw';
import { withSnippets } from '../core/wgsl.js';
import type { Tensor } from '../core/tensor.js';

const source = withSnippets(sampleSource, common);

export interface SampleFilter {
  /** Keep the k most likely tokens (ties at the k-th kept); 0 = no limit. */
  topK?: number;
  /** Keep the smallest most-likely set holding at least this probability, in (0, 1]; 1 = no limit. */
  topP?: number;
}

/** Checks top-k / top-p values, naming the caller in the error. */
export function checkSampleFilter(filter: SampleFilter, owner: string): Required<SampleFilter> {
  const topK = filter.topK ?? 0;
  const topP = filter.topP ?? 1;
  if (!Number.isInteger(topK) || topK < 0 || topK > 0xffffffff) throw new RangeError(`${owner}: topK must be a whole number ≥ 0 (0 = off), got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`${owner}: topP must be in (0, 1] (1 = off), got ${topP}`);
  return { topK, topP };
}

/**
 * Picks a token from logits [V] (greedy when temperature is 0), writing it to generated[position] and
 * nextId[0]. `uniforms` [n] holds the uniform draws for sampling.
 */
export function sampleTokenInto(
  logits: Tensor,
  uniforms: Tensor,
  generated: Tensor,
  nextId: Tensor,
  position: number,
  temperature: number,
  filter: SampleFilter = {},
): void {
  const ctx = logits.ctx;
  const V = logits.numel;
  const { topK, topP } = checkSampleFilter(filter, 'sampleTokenInto');
  const kernel = ctx.kernel({ file: 'sample.wgsl', source, entry: 'sample_token' });
  ctx.dispatch(kernel, [1], { logits, uniforms, generated, next_id: nextId }, { V, position, temperature, top_k: topK, top_p: topP });
}
