// GRU step with its own input projection (shaders/gru_input_cell.wgsl), for decoding loops whose input at step t
// depends on step t − 1: one dispatch per layer and step each way, no tape (the caller records).
import source from '../../shaders/gru_input_cell.wgsl?raw';
import type { Tensor } from '../core/tensor.js';
import { wgslConstant } from '../core/wgsl.js';

const FILE = 'gru_input_cell.wgsl';
/** prevRow of a layer's first step: the kernel reads h0 (block h0Row) instead. */
export const FIRST_STEP = wgslConstant(source, 'NO_STEP');
const WG = wgslConstant(source, 'WG');

/** One layer's GRU parameters (PyTorch names, shapes [3H, I], [3H, H], [3H], [3H]). */
export interface GruWeights { wIH: Tensor; wHH: Tensor; bIH: Tensor; bHH: Tensor }

/** Which blocks of the [rows, B, ·] buffers a step reads and writes. */
export interface CellRows { B: number; H: number; I: number; xRow: number; outRow: number; prevRow: number; h0Row: number }

function params(r: CellRows) {
  return { B: r.B, H: r.H, I: r.I, x_row: r.xRow, out_row: r.outRow, prev_row: r.prevRow, h0_row: r.h0Row };
}

/**
 * out[outRow] = GRU(x[xRow], h_prev), h_prev = out[prevRow] or h0[h0Row]. `saved` [rows, B, 5H] gets what backward
 * reads; null: nothing saved (decoding).
 */
export function gruInputForwardInto(x: Tensor, w: GruWeights, h0: Tensor, out: Tensor, saved: Tensor | null, r: CellRows): void {
  const ctx = out.ctx;
  const kernel = ctx.kernel({ file: FILE, source, entry: 'gru_input_forward', constants: { SAVE: saved ? 1 : 0 } });
  ctx.dispatch(kernel, [Math.ceil((r.B * r.H) / WG)], {
    x, w_ih: w.wIH, w_hh: w.wHH, b_ih: w.bIH, b_hh: w.bHH, h0, out, saved: saved ?? ctx.dummyBuffer(),
  }, params(r));
}

/**
 * Backward of the step at outRow: from dh_in (the gradient reaching h_t from step t + 1) and dout[outRow] (from above;
 * null: none) writes dh_out (the gradient of h_{t−1}), dgates[outRow] [B, 4H] = dr, dz, dn, dn ⊙ r, and dx[outRow].
 */
export function gruInputBackwardInto(
  w: GruWeights, dout: Tensor | null, dhIn: Tensor, dhOut: Tensor, saved: Tensor, dgates: Tensor, dx: Tensor, r: CellRows,
): void {
  const ctx = dhOut.ctx;
  const kernel = ctx.kernel({ file: FILE, source, entry: 'gru_input_backward', constants: { HAS_DOUT: dout ? 1 : 0 } });
  ctx.dispatch(kernel, [Math.ceil((r.H + r.I) / WG), r.B], {
    w_ih: w.wIH, w_hh: w.wHH, dout: dout ?? ctx.dummyBuffer(), dh_in: dhIn, dh_out: dhOut, saved_in: saved, dgates, dx,
  }, params(r));
}
