// One teacher-forced training step of a Seq2Seq model, as d2l's Trainer.fit: zero the gradients, logits of
// decIn (bos + target[:-1]), cross entropy ignoring pad (the mean over real tokens, d2l's masked loss), backward,
// gradient clipping (global L2 norm), optimizer step. Nothing is read back: the loss stays on the GPU.
import type { Tensor } from '../core/tensor.js';
import type { Optimizer } from '../optim/optimizer.js';
import { crossEntropy } from '../ops/cross_entropy.js';
import { clipGradNorm } from '../nn/utils.js';
import type { Seq2Seq } from './model.js';

/** A padded batch, row-major (data.g2pBatches makes these). */
export interface Seq2SeqBatch {
  B: number;
  S: number;
  T: number;
  src: Int32Array; // [B, S]
  srcValidLens: ArrayLike<number>; // [B]
  decIn: Int32Array; // [B, T]
  target: Int32Array; // [B, T], pad where there is no token
}

export interface Seq2SeqStepOptions {
  /** The padding id the loss ignores. */
  pad: number;
  /** Gradient clipping threshold on the global L2 norm (d2l's clip_gradients); undefined: no clipping. */
  clip?: number;
}

/** The loss of `model` on `batch` (a scalar tensor, recorded on the tape). */
export function seq2seqLoss(model: Seq2Seq, batch: Seq2SeqBatch, pad: number): Tensor {
  const ctx = model.ctx;
  const src = ctx.tensor(batch.src, [batch.B, batch.S], 'int32');
  const decIn = ctx.tensor(batch.decIn, [batch.B, batch.T], 'int32');
  const target = ctx.tensor(batch.target, [batch.B * batch.T], 'int32');
  const logits = model.forward(src, batch.srcValidLens, decIn);
  const flat = logits.reshape([batch.B * batch.T, model.config.tgtVocabSize]);
  const loss = crossEntropy(flat, target, { ignoreIndex: pad });
  for (const t of [src, decIn, target, logits, flat]) t.dispose();
  return loss;
}

/** One training step; returns the loss before the update (unread). */
export function seq2seqStep(model: Seq2Seq, optimizer: Optimizer, batch: Seq2SeqBatch, opts: Seq2SeqStepOptions): Tensor {
  optimizer.zeroGrad();
  const loss = seq2seqLoss(model, batch, opts.pad);
  loss.backward();
  if (opts.clip !== undefined) clipGradNorm(model.parameters(), opts.clip).dispose();
  optimizer.step();
  return loss;
}
