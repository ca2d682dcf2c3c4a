// What every fused recurrent cell (rnn_cell, gru_cell, lstm_cell) shares: the op's arguments, the order of
// time steps, the previous-state buffer for weight gradients, and the tail of BPTT where the per-step gate
// gradients become weight gradients in a few large matmuls over all T·B rows at once.
// Variable-length batches (API.md 10) live here too: each row b runs the steps t < lengths[b]; the cell kernels
// skip the rest (zeros forward, dh passed through backward), and the state copies below pick each row's own
// last (forward) or first (reverse) step, shaders/recurrence.wgsl.
import source from '../../shaders/recurrence.wgsl?raw';
import type { Tensor } from '../core/tensor.js';
import type { Context } from '../core/context.js';
import type { GradSink } from '../core/autograd.js';
import { shapeString } from '../core/errors.js';
import { matmulInto } from './matmul.js';
import { sumRowsInto } from './reduce.js';
import { copyBlockInto } from './layout.js';

/** One direction of one layer over the whole sequence. G = gates per unit (RNN 1, GRU 3, LSTM 4). */
export interface SequenceArgs {
  xProj: Tensor; // [T, B, G*H] input projection x·W_ihᵀ, without bias (time-major)
  wHH: Tensor; // [G*H, P] recurrent weight (PyTorch layout); P = H without projection
  bIH: Tensor | null; // [G*H]
  bHH: Tensor | null; // [G*H]
  h0: Tensor | null; // [B, P]; null: zeros
  c0?: Tensor | null; // [B, H] (LSTM only); null: zeros
  wHR?: Tensor | null; // [P, H] projection (LSTM's proj_size); null: none, P = H
  reverse: boolean; // process t = T-1 … 0 (the backward direction of a bidirectional layer)
  lengths?: Tensor | null; // int32 [B] steps per row, each 1..T (checked by the caller); null: all T
}

export interface SequenceResult {
  output: Tensor; // [T, B, P] hidden state at every step, indexed by time (not by processing order)
  hN: Tensor; // [B, P] state after the last processed step
  cN?: Tensor; // [B, H] (LSTM)
}

/** Marks "no previous step": the kernel reads h0 (and c0) instead. */
export const NO_STEP = 0xffffffff;

/** Input indices of every cell's tape node: [xProj, wHH, bIH, bHH, h0, c0, wHR]. */
export const enum CellInput { XProj = 0, WHH = 1, BIH = 2, BHH = 3, H0 = 4, C0 = 5, WHR = 6 }

/** T, B, hidden units H and state features P (the projection's size, else H). */
export function checkSequenceArgs(a: SequenceArgs, G: number, cell: string): { T: number; B: number; H: number; P: number } {
  const [T, B, GH] = a.xProj.shape;
  const P = a.wHH.shape[1];
  const H = a.wHR ? a.wHR.shape[1] : P;
  if (a.xProj.shape.length !== 3 || GH !== G * H) {
    throw new RangeError(`${cell}: input projection ${shapeString(a.xProj.shape)} should be [T, B, ${G * H}]`);
  }
  if (a.wHH.shape[0] !== G * H) throw new RangeError(`${cell}: weight_hh ${shapeString(a.wHH.shape)} should be [${G * H}, ${P}]`);
  if (a.wHR && (a.wHR.shape.length !== 2 || a.wHR.shape[0] !== P || P >= H)) {
    throw new RangeError(`${cell}: weight_hr ${shapeString(a.wHR.shape)} should be [P, ${H}] with P = weight_hh's ${P} columns < ${H}`);
  }
  if (T < 1) throw new RangeError(`${cell}: the sequence is empty (T = 0)`);
  if (a.lengths && (a.lengths.dtype !== 'int32' || a.lengths.numel !== B)) {
    throw new RangeError(`${cell}: lengths ${a.lengths.dtype} ${shapeString(a.lengths.shape)} should be int32 [${B}]`);
  }
  for (const [name, t, W] of [['h0', a.h0, P], ['c0', a.c0, H]] as const) {
    if (t && (t.shape.length !== 2 || t.shape[0] !== B || t.shape[1] !== W)) {
      throw new RangeError(`${cell}: ${name} ${shapeString(t.shape)} should be [${B}, ${W}]`);
    }
  }
  return { T, B, H, P };
}

/**
 * The [B, H] gradient buffers BPTT alternates between: each backward step reads one and writes the other, so
 * memory does not grow with T. The first step reads dHN (or zeros when nothing used hN).
 */
export function stateGradPingPong(ctx: Context, dHN: Tensor | null, B: number, H: number, label: string) {
  const buffers = [dHN ? ctx.empty([B, H], 'float32', label) : ctx.zeros([B, H], 'float32', label), ctx.empty([B, H], 'float32', label)];
  return {
    first: dHN ?? buffers[0],
    /** The buffer to write while `reading` is read. */
    other: (reading: Tensor): Tensor => (reading === buffers[1] ? buffers[0] : buffers[1]),
    dispose: () => buffers.forEach((b) => b.dispose()),
  };
}

/** Time indices in processing order. */
export function stepOrder(T: number, reverse: boolean): number[] {
  return Array.from({ length: T }, (_, k) => (reverse ? T - 1 - k : k));
}

/** The step processed before step t, or NO_STEP for the first one. */
export function previousStep(t: number, T: number, reverse: boolean): number {
  if (reverse) return t === T - 1 ? NO_STEP : t + 1;
  return t === 0 ? NO_STEP : t - 1;
}

/** states[T, B, H] → states[t] as [B, H] (hN, cN): a copy, or a view of the same memory when T = 1 (a
 *  generation step). Nothing writes into either afterwards, so sharing is safe. */
export function stepSlice(states: Tensor, t: number, B: number, H: number): Tensor {
  if (states.shape[0] === 1 && t === 0) return states.view([B, H]);
  const out = states.ctx.empty([B, H], 'float32', 'state');
  copyBlockInto(out, states, { rows: 1, cols: B * H, srcStride: 0, srcOffset: t * B * H, dstStride: 0, dstOffset: 0 });
  return out;
}

const RECURRENCE_FILE = 'recurrence.wgsl';
const RECURRENCE_WG = 64;

/** Kernel constants and the binding that tell a cell kernel the row lengths (a stand-in when there are none). */
export function lengthsBinding(ctx: Context, lengths: Tensor | null | undefined): { HAS_LENGTHS: number; binding: Tensor | GPUBuffer } {
  return lengths ? { HAS_LENGTHS: 1, binding: lengths } : { HAS_LENGTHS: 0, binding: ctx.dummyBuffer() };
}

/**
 * The final [B, W] state of a direction: step `last` of every row, or with lengths in the forward direction
 * each row's own last step lengths[b] − 1 (one dispatch either way; a view when T = 1).
 */
export function finalState(steps: Tensor, last: number, B: number, W: number, lengths: Tensor | null | undefined,
  reverse: boolean): Tensor {
  if (!lengths || reverse) return stepSlice(steps, last, B, W);
  const ctx = steps.ctx;
  const out = ctx.empty([B, W], 'float32', 'state');
  const kernel = ctx.kernel({ file: RECURRENCE_FILE, source, entry: 'last_step_gather' });
  ctx.dispatch(kernel, [Math.ceil((B * W) / RECURRENCE_WG)], [lengths, steps, out], [steps.shape[0], B, W]);
  return out;
}

/**
 * prev[T, B, W]: row t = the state step t started from (h0 for the first processed step; with lengths in the
 * reverse direction, row b starts at step lengths[b] − 1 and is at h0 until then). `initial` holds h0 in its
 * first B·W words.
 */
export function previousStates(states: Tensor, initial: Tensor, T: number, B: number, W: number, reverse: boolean,
  lengths?: Tensor | null): Tensor {
  const ctx = states.ctx;
  const prev = ctx.empty([T, B, W], 'float32', 'prev-states');
  const n = B * W;
  if (T > 1) {
    // forward: prev[1..T) = states[0..T-1);  reverse: prev[0..T-1) = states[1..T)
    const block = { rows: 1, cols: (T - 1) * n, srcStride: 0, dstStride: 0 };
    copyBlockInto(prev, states, reverse ? { ...block, srcOffset: n, dstOffset: 0 } : { ...block, srcOffset: 0, dstOffset: n });
  }
  if (lengths && reverse) {
    // Until its first step lengths[b] − 1 a row is still at h0 (those steps' gate gradients are zero anyway).
    const kernel = ctx.kernel({ file: RECURRENCE_FILE, source, entry: 'first_step_scatter' });
    ctx.dispatch(kernel, [Math.ceil(n / RECURRENCE_WG)], [lengths, initial, prev], [T, B, W]);
  } else {
    const first = reverse ? T - 1 : 0;
    copyBlockInto(prev, initial, { rows: 1, cols: n, srcStride: 0, srcOffset: 0, dstStride: 0, dstOffset: first * n });
  }
  return prev;
}

/**
 * The end of BPTT, shared by all cells. dGatesX [T, B, G*H] is the gradient of the input-side pre-activations,
 * dGatesH that of the recurrent side (they differ only for GRU's n gate); hPrev [T, B, H] the states each step
 * started from ([T, B, P], P = H unless projected); dh (and dc) the gradient left for h0 (c0). Everything
 * accumulates into the sink.
 */
export function finishRecurrentBackward(
  sink: GradSink,
  g: { dGatesX: Tensor; dGatesH: Tensor; hPrev: Tensor; dh: Tensor; dc?: Tensor | null; T: number; B: number; H: number; G: number; P?: number },
): void {
  const rows = g.T * g.B;
  const GH = g.G * g.H;
  const P = g.P ?? g.H;
  const dW = sink.target(CellInput.WHH);
  if (dW) matmulInto(dW.grad, g.dGatesH, g.hPrev, GH, P, rows, { transA: true, accumulate: dW.accumulate }); // [GH, TB]·[TB, P]
  const dbIH = sink.target(CellInput.BIH);
  if (dbIH) sumRowsInto(dbIH.grad, g.dGatesX, rows, GH, dbIH.accumulate);
  const dbHH = sink.target(CellInput.BHH);
  if (dbHH) sumRowsInto(dbHH.grad, g.dGatesH, rows, GH, dbHH.accumulate);
  // Handed over after their last read here: they become those inputs' gradients unless some already exist.
  sink.pass(CellInput.XProj, g.dGatesX);
  sink.pass(CellInput.H0, g.dh);
  if (g.dc) sink.pass(CellInput.C0, g.dc);
}
