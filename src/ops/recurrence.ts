// What every fused recurrent cell (rnn_cell, gru_cell, lstm_cell) shares: the op's arguments, the order of
// time steps, the previous-state buffer for weight gradients, and the tail of BPTT where the per-step gate
// gradients become weight gradients in a few large matmuls over all T·B rows at once.
import recurrenceSnippet from '../../shaders/recurrence.wgsl?raw';
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
  wHH: Tensor; // [G*H, H] recurrent weight (PyTorch layout)
  bIH: Tensor | null; // [G*H]
  bHH: Tensor | null; // [G*H]
  h0: Tensor | null; // [B, H]; null: zeros
  c0?: Tensor | null; // [B, H] (LSTM only); null: zeros
  reverse: boolean; // process t = T-1 … 0 (the backward direction of a bidirectional layer)
}

export interface SequenceResult {
  output: Tensor; // [T, B, H] hidden state at every step, indexed by time (not by processing order)
  hN: Tensor; // [B, H] state after the last processed step
  cN?: Tensor; // [B, H] (LSTM)
}

/** Marks "no previous step": the kernel reads h0 (and c0) instead (shaders/recurrence.wgsl). */
export const NO_STEP = wgslConstant(recurrenceSnippet, 'NO_STEP');

/** A cell's WGSL with the shared recurrence snippet appended. */
export function cellSource(source: string): string {
  return withSnippets(source, recurrenceSnippet);
}

/** A cell kernel's sizes (its StepParams without the step). */
export interface Dims { T: number; B: number; H: number }

/** Input indices of every cell's tape node: [xProj, wHH, bIH, bHH, h0, c0]. */
export const enum CellInput { XProj = 0, WHH = 1, BIH = 2, BHH = 3, H0 = 4, C0 = 5 }

export function checkSequenceArgs(a: SequenceArgs, mode: CellMode): { T: number; B: number; H: number } {
  const { gates: G, name: cell } = CELLS[mode];
  const [T, B, GH] = a.xProj.shape;
  const H = a.wHH.shape[1];
  if (a.xProj.shape.length !== 3 || GH !== G * H) {
    throw new RangeError(`${cell}: input projection ${shapeString(a.xProj.shape)} should be [T, B, ${G * H}]`);
  }
  if (a.wHH.shape[0] !== G * H) throw new RangeError(`${cell}: weight_hh ${shapeString(a.wHH.shape)} should be [${G * H}, ${H}]`);
  if (T < 1) throw new RangeError(`${cell}: the sequence is empty (T = 0)`);
  for (const [name, t] of [['h0', a.h0], ['c0', a.c0]] as const) {
    if (t && (t.shape.length !== 2 || t.shape[0] !== B || t.shape[1] !== H)) {
      throw new RangeError(`${cell}: ${name} ${shapeString(t.shape)} should be [${B}, ${H}]`);
    }
  }
  return { T, B, H };
}

/** Dispatches a cell's step kernel once per time step in processing order, each with its StepParams
 *  { T, B, H, t, t_prev } (shaders/recurrence.wgsl): the forward pass of every cell. */
export function forwardSteps(ctx: Context, kernel: Kernel, groups: readonly number[], d: Dims, reverse: boolean, bindings: Bindings): void {
  for (const t of stepOrder(d.T, reverse)) ctx.dispatch(kernel, groups, bindings, { ...d, t, t_prev: previousStep(t, d.T, reverse) });
}

/**
 * BPTT through the steps, last processed first: step k reads the state gradient written by step k - 1 (`first`,
 * the gradient of the final state, at k = 0) and writes the other of two buffers, so memory does not grow with
 * T. `first` may be one of the two (it is then overwritten at step 1). Returns the buffer written last: the
 * gradient of the initial state.
 */
export function backwardSteps(
  ctx: Context, kernel: Kernel, groups: readonly number[], d: Dims, reverse: boolean,
  first: Tensor, buffers: readonly [Tensor, Tensor], bindings: (stateIn: Tensor, stateOut: Tensor) => Bindings,
): Tensor {
  let stateIn = first;
  stepOrder(d.T, !reverse).forEach((t, k) => {
    const stateOut = buffers[k % 2];
    ctx.dispatch(kernel, groups, bindings(stateIn, stateOut), { ...d, t, t_prev: previousStep(t, d.T, reverse) });
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

/** prev[T, B, H]: row t = the state step t started from (h0 for the first processed step). */
export function previousStates(states: Tensor, initial: Tensor, T: number, B: number, H: number, reverse: boolean): Tensor {
  const prev = states.ctx.empty([T, B, H], 'float32', 'prev-states');
  const n = B * H;
  const first = reverse ? T - 1 : 0;
  copyBlockInto(prev, initial, { rows: 1, cols: n, srcStride: 0, srcOffset: 0, dstStride: 0, dstOffset: first * n });
  if (T > 1) {
    // forward: prev[1..T) = states[0..T-1);  reverse: prev[0..T-1) = states[1..T)
    const block = { rows: 1, cols: (T - 1) * n, srcStride: 0, dstStride: 0 };
    copyBlockInto(prev, states, reverse ? { ...block, srcOffset: n, dstOffset: 0 } : { ...block, srcOffset: 0, dstOffset: n });
  }
  return prev;
}

/**
 * The end of BPTT, shared by all cells. dGatesX [T, B, G*H] is the gradient of the input-side pre-activations,
 * dGatesH that of the recurrent side (they differ only for GRU's n gate); hPrev [T, B, H] the states each step
 * started from; dh (and dc) the gradient left for h0 (c0). Everything accumulates into the sink.
 */
export function finishRecurrentBackward(
  sink: GradSink,
  g: { dGatesX: Tensor; dGatesH: Tensor; hPrev: Tensor; dh: Tensor; dc?: Tensor | null; T: number; B: number; H: number; G: number },
): void {
  const rows = g.T * g.B;
  const GH = g.G * g.H;
  if (sink.needs(CellInput.WHH)) {
    const dW = sink.write(CellInput.WHH);
    matmulInto(dW.grad, g.dGatesH, g.hPrev, GH, g.H, rows, { transA: true, accumulate: dW.accumulate }); // [GH, TB]·[TB, H]
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
