// What every fused recurrent cell (rnn_cell, gru_cell, lstm_cell) shares: the op's arguments, the order of
// time steps, the previous-state buffer for weight gradients, and the tail of BPTT where the per-step gate
// gradients become weight gradients in a few large matmuls over all T·B rows at once.
// Variable-length batches (API.md 10) live here too: each row b runs the steps t < lengths[b]; the cell kernels
// skip the rest (zeros forward, the state gradient passed through backward), and the state copies below pick
// each row's own last (forward) or first (reverse) step (shaders/lengths.wgsl).
import recurrenceSnippet from '../../shaders/recurrence.wgsl?raw';
import activationSnippet from '../../shaders/activation.wgsl?raw';
import lengthsSource from '../../shaders/lengths.wgsl?raw';
import common from '../../shaders/common.wgsl?raw';
import type { Tensor } from '../core/tensor.js';
import { wgslConstant, withSnippets } from '../core/wgsl.js';
import type { Context } from '../core/context.js';
import type { Kernel } from '../core/kernel.js';
import type { Bindings } from '../core/bindings.js';
import type { GradSink } from '../core/autograd.js';
import { shapeString } from '../core/shape.js';
import { matmulInto } from './matmul.js';
import { sumRowsInto } from './reduce.js';
import { copyBlockInto } from './layout.js';
import { grid } from './grid.js';

export type CellMode = 'rnn' | 'gru' | 'lstm';

/** Each cell's gate count (rows of W_hh per hidden unit) and PyTorch class name: the one map of them. */
export const CELLS: Readonly<Record<CellMode, { readonly gates: number; readonly name: string }>> = {
  rnn: { gates: 1, name: 'RNN' },
  gru: { gates: 3, name: 'GRU' },
  lstm: { gates: 4, name: 'LSTM' },
};

export function isCellMode(value: unknown): value is CellMode {
  return typeof value === 'string' && Object.hasOwn(CELLS, value);
}

/** The cell with this many gates (from a weight's shape [gates·H, H]), or null. */
export function cellOfGates(gates: number): CellMode | null {
  return (Object.keys(CELLS) as CellMode[]).find((c) => CELLS[c].gates === gates) ?? null;
}

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
  hN: Tensor; // [B, P] state after each row's last processed step
  cN?: Tensor; // [B, H] (LSTM)
}

/** Marks "no previous step": the kernel reads h0 (and c0) instead (shaders/recurrence.wgsl). */
export const NO_STEP = wgslConstant(recurrenceSnippet, 'NO_STEP');

/** A cell's WGSL with the shared recurrence and (NaN-propagating) activation snippets appended. */
export function cellSource(source: string): string {
  return withSnippets(source, recurrenceSnippet, activationSnippet);
}

/** A cell kernel's sizes (its StepParams without the step): hidden units H, state features P (= H unless an
 *  LSTM projects). */
export interface Dims { T: number; B: number; H: number; P: number }

/** Input indices of every cell's tape node: [xProj, wHH, bIH, bHH, h0, c0, wHR]. */
export const enum CellInput { XProj = 0, WHH = 1, BIH = 2, BHH = 3, H0 = 4, C0 = 5, WHR = 6 }

export function checkSequenceArgs(a: SequenceArgs, mode: CellMode): Dims {
  const { gates: G, name: cell } = CELLS[mode];
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
  for (const [name, t, W] of [['h0', a.h0, P], ['c0', a.c0, H]] as const) {
    if (t && (t.shape.length !== 2 || t.shape[0] !== B || t.shape[1] !== W)) {
      throw new RangeError(`${cell}: ${name} ${shapeString(t.shape)} should be [${B}, ${W}]`);
    }
  }
  if (a.lengths && (a.lengths.dtype !== 'int32' || a.lengths.numel !== B)) {
    throw new RangeError(`${cell}: lengths ${a.lengths.dtype} ${shapeString(a.lengths.shape)} should be int32 [${B}]`);
  }
  return { T, B, H, P };
}

/** A second kernel dispatched at every step with the same StepParams (LSTM's projection). */
export interface StepDispatch { kernel: Kernel; groups: readonly number[]; bindings: Bindings }

/** Dispatches a cell's step kernel once per time step in processing order, each with its StepParams
 *  { T, B, H, P, t, t_prev } (shaders/recurrence.wgsl): the forward pass of every cell; `after` follows each step. */
export function forwardSteps(ctx: Context, kernel: Kernel, groups: readonly number[], d: Dims, reverse: boolean, bindings: Bindings,
  after?: StepDispatch): void {
  for (const t of stepOrder(d.T, reverse)) {
    const params = { ...d, t, t_prev: previousStep(t, d.T, reverse) };
    ctx.dispatch(kernel, groups, bindings, params);
    if (after) ctx.dispatch(after.kernel, after.groups, after.bindings, params);
  }
}

/**
 * BPTT through the steps, last processed first: step k reads the state gradient written by step k - 1 (`first`,
 * the gradient of the final state, at k = 0) and writes the other of two buffers, so memory does not grow with
 * T. `first` may be one of the two (it is then overwritten at step 1). `before` precedes each step (LSTM's
 * projection). Returns the buffer written last: the gradient of the initial state.
 */
export function backwardSteps(
  ctx: Context, kernel: Kernel, groups: readonly number[], d: Dims, reverse: boolean,
  first: Tensor, buffers: readonly [Tensor, Tensor], bindings: (stateIn: Tensor, stateOut: Tensor) => Bindings,
  before?: (stateIn: Tensor, stateOut: Tensor) => StepDispatch,
): Tensor {
  let stateIn = first;
  stepOrder(d.T, !reverse).forEach((t, k) => {
    const stateOut = buffers[k % 2];
    const params = { ...d, t, t_prev: previousStep(t, d.T, reverse) };
    if (before) {
      const pre = before(stateIn, stateOut);
      ctx.dispatch(pre.kernel, pre.groups, pre.bindings, params);
    }
    ctx.dispatch(kernel, groups, bindings(stateIn, stateOut), params);
    stateIn = stateOut;
  });
  return stateIn;
}

/** The [B, H] buffers backwardSteps alternates between for h's gradient, and the first one it reads: dHN, or
 *  zeros when nothing used hN (then the second buffer, which step 1 overwrites). */
export function stateGradBuffers(ctx: Context, dHN: Tensor | null, B: number, H: number, label: string) {
  const zerosOrSpare = dHN ? ctx.empty([B, H], 'float32', label) : ctx.zeros([B, H], 'float32', label);
  const buffers: [Tensor, Tensor] = [ctx.empty([B, H], 'float32', label), zerosOrSpare];
  return { first: dHN ?? zerosOrSpare, buffers, dispose: () => buffers.forEach((b) => b.dispose()) };
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

const LENGTHS_FILE = 'lengths.wgsl';
const lengthsKernels = withSnippets(lengthsSource, common);

/** The `lengths` binding and HAS_LENGTHS constant of a cell kernel (a stand-in buffer when there are none). */
export function lengthsBinding(ctx: Context, lengths: Tensor | null | undefined): { HAS_LENGTHS: number; binding: Tensor | GPUBuffer } {
  return lengths ? { HAS_LENGTHS: 1, binding: lengths } : { HAS_LENGTHS: 0, binding: ctx.dummyBuffer() };
}

/**
 * The final [B, W] state of a direction: step `last` of every row, or with lengths in the forward direction
 * each row's own last step lengths[b] − 1 (one dispatch either way; a view when T = 1).
 */
export function finalState(steps: Tensor, last: number, B: number, W: number, lengths: Tensor | null | undefined, reverse: boolean): Tensor {
  if (!lengths || reverse) return stepSlice(steps, last, B, W);
  const ctx = steps.ctx;
  const out = ctx.empty([B, W], 'float32', 'state');
  const kernel = ctx.kernel({ file: LENGTHS_FILE, source: lengthsKernels, entry: 'last_step_gather' });
  ctx.dispatch(kernel, grid(ctx, B * W, kernel), { lengths, src: steps, dst: out }, { T: steps.shape[0], B, W });
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
    // After the copy: until its first step lengths[b] − 1 a row is still at h0 (those steps' gate gradients are
    // zero anyway).
    const kernel = ctx.kernel({ file: LENGTHS_FILE, source: lengthsKernels, entry: 'first_step_scatter' });
    ctx.dispatch(kernel, grid(ctx, n, kernel), { lengths, src: initial, dst: prev }, { T, B, W });
  } else {
    const first = reverse ? T - 1 : 0;
    copyBlockInto(prev, initial, { rows: 1, cols: n, srcStride: 0, srcOffset: 0, dstStride: 0, dstOffset: first * n });
  }
  return prev;
}

/**
 * The end of BPTT, shared by all cells. dGatesX [T, B, G*H] is the gradient of the input-side pre-activations,
 * dGatesH that of the recurrent side (they differ only for GRU's n gate); hPrev [T, B, P] the states each step
 * started from (P = H unless projected); dh (and dc) the gradient left for h0 (c0). Everything accumulates into
 * the sink.
 */
export function finishRecurrentBackward(
  sink: GradSink,
  g: { dGatesX: Tensor; dGatesH: Tensor; hPrev: Tensor; dh: Tensor; dc?: Tensor | null; T: number; B: number; H: number; P: number; G: number },
): void {
  const rows = g.T * g.B;
  const GH = g.G * g.H;
  if (sink.needs(CellInput.WHH)) {
    const dW = sink.write(CellInput.WHH);
    matmulInto(dW.grad, g.dGatesH, g.hPrev, GH, g.P, rows, { transA: true, accumulate: dW.accumulate }); // [GH, TB]·[TB, P]
  }
  if (sink.needs(CellInput.BIH)) {
    const dbIH = sink.write(CellInput.BIH);
    sumRowsInto(dbIH.grad, g.dGatesX, rows, GH, dbIH.accumulate);
  }
  if (sink.needs(CellInput.BHH)) {
    const dbHH = sink.write(CellInput.BHH);
    sumRowsInto(dbHH.grad, g.dGatesH, rows, GH, dbHH.accumulate);
  }
  // Handed over after their last read here: they become those inputs' gradients unless some already exist.
  if (sink.needs(CellInput.XProj)) sink.pass(CellInput.XProj, g.dGatesX);
  if (sink.needs(CellInput.H0)) sink.pass(CellInput.H0, g.dh);
  if (g.dc && sink.needs(CellInput.C0)) sink.pass(CellInput.C0, g.dc);
}
