// One batched beam-search step on the GPU (shaders/beam_search.wgsl): log-softmax of each beam's logits, the K best
// continuations per source row (summed log-probabilities), done flags, history for the back-trace. No tape.
import source from '../../shaders/beam_search.wgsl?raw';
import type { Tensor } from '../core/tensor.js';
import { wgslConstant } from '../core/wgsl.js';

const FILE = 'beam_search.wgsl';
/** Most beams per source row (the kernel keeps them in workgroup memory). */
export const MAX_BEAM = wgslConstant(source, 'MAX_BEAM');

export interface BeamStep { B: number; K: number; V: number; eos: number; step: number; last: boolean }

/** logits [B·K, V] → scores, done [B·K] updated in place; history[step] [B·K, 2], nextIds, parents [B·K] written. */
export function beamStepInto(logits: Tensor, scores: Tensor, done: Tensor, history: Tensor, nextIds: Tensor, parents: Tensor, s: BeamStep): void {
  const ctx = logits.ctx;
  const kernel = ctx.kernel({ file: FILE, source, entry: 'beam_step' });
  ctx.dispatch(kernel, [s.B], { logits, scores, done, history, next_ids: nextIds, parents },
    { B: s.B, K: s.K, V: s.V, eos: s.eos, step: s.step, last: s.last ? 1 : 0 });
}
