// Additive attention of one decoder step (shaders/attention.wgsl): d2l's AdditiveAttention with the query
// projection, masked softmax and context in one dispatch each way. No tape: the attention decoder records.
import source from '../../shaders/attention.wgsl?raw';
import type { Tensor } from '../core/tensor.js';
import { wgslConstant } from '../core/wgsl.js';

const FILE = 'attention.wgsl';
/** Most source positions one step attends over (the scores live in workgroup memory). */
export const MAX_SOURCE_LENGTH = wgslConstant(source, 'MAX_S');

/** Sizes and row blocks of one step. B: decoder rows; kvDiv decoder rows share a source row (beam search). */
export interface AttentionStep { B: number; S: number; H: number; I: number; t: number; qRow: number; kvDiv: number }

function params(s: AttentionStep) {
  return { B: s.B, S: s.S, H: s.H, I: s.I, t: s.t, q_row: s.qRow, kv_div: s.kvDiv };
}

/**
 * qsrc [rows, B, H] (row qRow: the query state), wQ [H, H], wV [1, H], kv [B / kvDiv, S, 2H] (values, keys),
 * lens int32 [B / kvDiv] → context into x[t][:, 0:H) (x [T, B, I]); saved[t] [B, H + S] = q, attention weights.
 */
export function attentionForwardInto(qsrc: Tensor, wQ: Tensor, wV: Tensor, kv: Tensor, lens: Tensor, x: Tensor, saved: Tensor, s: AttentionStep): void {
  const ctx = x.ctx;
  const kernel = ctx.kernel({ file: FILE, source, entry: 'attention_forward' });
  ctx.dispatch(kernel, [s.B], { qsrc, w_q: wQ, w_v: wV, kv, lens, x, saved }, params(s));
}

/**
 * From dcontext (dx[t][:, 0:H)): dkv [B, S, 2H] accumulates, dqOut[t] [B, 2H] = dq, this step's dw_v part, and
 * dh [B, H] (the gradient of the query state) gets W_qᵀ·dq added. kvDiv must be 1.
 */
export function attentionBackwardInto(dx: Tensor, saved: Tensor, kv: Tensor, wV: Tensor, wQ: Tensor, dkv: Tensor, dqOut: Tensor, dh: Tensor, s: AttentionStep): void {
  if (s.kvDiv !== 1) throw new RangeError('attention backward: shared source rows (kvDiv > 1) are for decoding only');
  const ctx = dh.ctx;
  const kernel = ctx.kernel({ file: FILE, source, entry: 'attention_backward' });
  ctx.dispatch(kernel, [s.B], { dx_in: dx, saved_in: saved, kv, w_v: wV, w_q: wQ, dkv, dq_out: dqOut, dh }, params(s));
}
