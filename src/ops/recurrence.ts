// What every fused recurrent cell (rnn_cell, gru_cell, lstm_cell) shares: the op's arguments, the order of
// time steps, the previous-state buffer for weight gradients, and the tail of BPTT where the per-step gate
// gradients become weight gradients in a few large matmuls over all T·B rows at once.
// A cell op runs one direction, or both directions of a bidirectional layer in one dispatch per step (D = 2,
// shaders/recurrence.wgsl), whose last steps then write the final states too (shaders/step_finals.wgsl; one
// direction gathers them after the steps, finalStates). Variable-length batches (API.md 10) live here too: each row b runs the steps
// t < lengths[b]; the cell kernels skip the rest (zeros forward, the state gradient passed through backward),
// and the state copies below pick each row's own last (forward) or first (reverse) step (shaders/lengths.wgsl).
import recurrenceSnippet from '../../shaders/recurrence.wgsl?raw';
import activationSnippet from '../../shaders/activation.wgsl?raw';
import lengthsSource from '../../shaders/lengths.wgsl?raw';
import directionsSource from '../../shaders/directions.wgsl?raw';
import stepBiasesSnippet from '../../shaders/step_biases.wgsl?raw';
import stepFinalsSnippet from '../../shaders/step_finals.wgsl?raw';
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

/** One direction's inputs and parameters within a layer. */
export interface DirectionArgs {
  xProj: Tensor; // [T, B, G*H]
  wHH: Tensor; // [G*H, P]
  bIH: Tensor | null; // [G*H]
  bHH: Tensor | null; // [G*H]
  wHR?: Tensor | null; // [P, H]
}

/** D directions of one layer, run together (D = 2: a bidirectional layer; direction 1 runs backwards). */
export interface LayerArgs {
  dirs: readonly DirectionArgs[];
  h0: Tensor | null; // [D, B, P] ([B, P] when D = 1); null: zeros
  c0?: Tensor | null; // [D, B, H] (LSTM)
  reverse: boolean; // direction 0 runs backwards (D = 1 only)
  lengths?: Tensor | null;
  stack?: StateStack | null; // null: the final states are the op's own tensors
}

/**
 * The final states of a multi-layer call, stacked as the caller returns them: h_N [S, B, P] and c_N [S, B, H]
 * (LSTM), S = layers · directions. Each op writes its rows [at, at + D) in place and returns views of the stack
 * as its own outputs; the stack it got is a tape input (the outputs of the op before it), so backward hands the
 * whole stack's gradient down the chain and each op reads its own rows: no slicing or concatenation copies.
 */
export interface StateStack {
  hN: Tensor;
  cN: Tensor | null;
  at: number;
}

export interface LayerResult {
  output: Tensor; // [T, B, D·P]: direction d in columns [d·P, (d+1)·P)
  hN: Tensor; // [D, B, P] ([B, P] when D = 1); with a stack, a view of the whole stack [S, B, P]
  cN?: Tensor; // [D, B, H] ([B, H] when D = 1); with a stack, [S, B, H]
}

/** A single direction as a layer of one. */
export function asLayer(a: SequenceArgs): LayerArgs {
  return { dirs: [a], h0: a.h0, c0: a.c0 ?? null, reverse: a.reverse, lengths: a.lengths };
}

/** Marks "no previous step": the kernel reads h0 (and c0) instead (shaders/recurrence.wgsl). */
export const NO_STEP = wgslConstant(recurrenceSnippet, 'NO_STEP');

/** A cell's WGSL with the shared recurrence and (NaN-propagating) activation snippets appended, and the forward
 *  step's biases as their own bindings (shaders/step_biases.wgsl): every kernel of one direction per dispatch. */
export function cellSource(source: string): string {
  return withSnippets(source, recurrenceSnippet, activationSnippet, stepBiasesSnippet);
}

/** The same cell for the forward step of both directions in one dispatch (D = 2): the biases read from the
 *  packed W_hh and the final states written by each row's last step (shaders/step_finals.wgsl). */
export function foldedCellSource(source: string): string {
  return withSnippets(source, recurrenceSnippet, activationSnippet, stepFinalsSnippet);
}

/** The forward step kernel's file, source and the bindings 4 and 5 it takes besides the cell's own: the biases
 *  (D = 1, the final states gathered after the steps by finalStates) or the final states themselves (D = 2, as
 *  finalStates would return them; `finals` is then set). */
export function stepForward(ctx: Context, file: string, sources: { one: string; both: string }, w: RecurrentWeights,
  stack: StateStack | null | undefined, withCells: boolean): { file: string; source: string; bindings: Bindings; finals: { hN: Tensor; cN?: Tensor } | null } {
  const { D, B, P, H } = w.dims;
  if (D === 1) return { file, source: sources.one, bindings: { b_ih: w.bIH, b_hh: w.bHH }, finals: null };
  const target = (s: Tensor | null | undefined, W: number) => (s ? s.view(s.shape) : ctx.empty([D, B, W], 'float32', 'state'));
  const hN = target(stack?.hN, P);
  const cN = withCells ? target(stack?.cN, H) : undefined;
  return {
    file: `${file} (both directions)`, source: sources.both,
    bindings: { final_h: hN, ...(cN ? { final_c: cN } : {}) }, finals: { hN, ...(cN ? { cN } : {}) },
  };
}

/** A cell kernel's sizes (its StepParams without the steps): hidden units H, state features P (= H unless an
 *  LSTM projects), directions D, where the biases start in their bindings, the op's first row of a state stack. */
export interface Dims { T: number; B: number; H: number; P: number; D: number; b_ih_at: number; b_hh_at: number; state_at: number }

/** Tape inputs of every cell op: h0, c0, then per direction d the five at dirInput(d, ·), then the state stack's
 *  h_N and c_N at stackInput(D, ·). */
export const enum CellInput { H0 = 0, C0 = 1 }
export const enum DirInput { XProj = 0, WHH = 1, BIH = 2, BHH = 3, WHR = 4 }
export function dirInput(d: number, k: DirInput): number {
  return 2 + 5 * d + k;
}
export function stackInput(D: number, k: CellInput): number {
  return 2 + 5 * D + k;
}
export function tapeInputs(a: LayerArgs): (Tensor | null)[] {
  return [
    a.h0, a.c0 ?? null, ...a.dirs.flatMap((x) => [x.xProj, x.wHH, x.bIH, x.bHH, x.wHR ?? null]),
    a.stack?.hN ?? null, a.stack?.cN ?? null,
  ];
}

/** Where this op's rows of the final-state gradient dh_N (W = P) or dc_N (W = H) start: row `at` of the stack. */
export function finalGradAt(a: LayerArgs, B: number, W: number): number {
  return a.stack ? a.stack.at * B * W : 0;
}

/** Hands the stack's gradients (this op's rows read) on to the ops below, which read theirs. */
export function passStackGrads(sink: GradSink, D: number, dHN: Tensor | null, dCN: Tensor | null): void {
  if (dHN && sink.needs(stackInput(D, CellInput.H0))) sink.pass(stackInput(D, CellInput.H0), dHN);
  if (dCN && sink.needs(stackInput(D, CellInput.C0))) sink.pass(stackInput(D, CellInput.C0), dCN);
}

export function checkSequenceArgs(a: SequenceArgs, mode: CellMode): { T: number; B: number; H: number; P: number } {
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

/** Checks every direction of a layer (each as checkSequenceArgs does, all alike); the sizes without bias offsets. */
export function checkLayerArgs(a: LayerArgs, mode: CellMode): Dims {
  const D = a.dirs.length;
  const cell = CELLS[mode].name;
  if (D !== 1 && D !== 2) throw new RangeError(`${cell}: a layer has 1 or 2 directions, got ${D}`);
  if (D === 2 && a.reverse) throw new RangeError(`${cell}: with two directions only direction 1 runs in reverse`);
  const per = a.dirs.map((x, d) => {
    const h0 = d === 0 && D === 1 ? a.h0 : null;
    const c0 = d === 0 && D === 1 ? a.c0 : null;
    return checkSequenceArgs({ ...x, h0, c0, reverse: a.reverse, lengths: a.lengths }, mode);
  });
  const { T, B, H, P } = per[0];
  const second = per[1];
  if (second && (second.T !== T || second.B !== B || second.H !== H || second.P !== P || !a.dirs[1].wHR !== !a.dirs[0].wHR
    || !a.dirs[1].bIH !== !a.dirs[0].bIH)) {
    throw new RangeError(`${cell}: the two directions differ in size or options`);
  }
  if (D === 2) {
    for (const [name, t, W] of [['h0', a.h0, P], ['c0', a.c0, H]] as const) {
      if (t && (t.shape.length !== 3 || t.shape[0] !== 2 || t.shape[1] !== B || t.shape[2] !== W)) {
        throw new RangeError(`${cell}: ${name} ${shapeString(t.shape)} should be [2, ${B}, ${W}]`);
      }
    }
  }
  if (a.stack) {
    const { at } = a.stack;
    const S = a.stack.hN.shape[0];
    const wants: [string, Tensor | null, number][] = [['h_N', a.stack.hN, P], ['c_N', a.stack.cN, H]];
    for (const [name, t, W] of wants) {
      if (!t && name === 'c_N' && mode !== 'lstm') continue;
      if (!t || t.shape.length !== 3 || t.shape[0] !== S || t.shape[1] !== B || t.shape[2] !== W || !Number.isInteger(at) || at < 0 || at + D > S) {
        throw new RangeError(`${cell}: the ${name} stack ${t ? shapeString(t.shape) : 'null'} should be [S, ${B}, ${W}] with rows [${at}, ${at + D}) inside`);
      }
    }
  }
  return { T, B, H, P, D, b_ih_at: 0, b_hh_at: 0, state_at: a.stack?.at ?? 0 };
}

/** W_hh and the biases as the kernels bind them: a direction's own tensors, or both directions packed into one
 *  buffer (one dispatch, shaders/directions.wgsl; `packed` is then that buffer, for the caller to dispose). */
export interface RecurrentWeights { wHH: Tensor; bIH: Tensor | GPUBuffer; bHH: Tensor | GPUBuffer; dims: Dims; packed: Tensor | null }

export function recurrentWeights(ctx: Context, a: LayerArgs, dims: Dims, G: number): RecurrentWeights {
  const [d0, d1] = a.dirs;
  const unused = ctx.dummyBuffer();
  if (!d1) return { wHH: d0.wHH, bIH: d0.bIH ?? unused, bHH: d0.bHH ?? unused, dims, packed: null };
  const nW = G * dims.H * dims.P;
  const nB = d0.bIH ? G * dims.H : 0;
  const packed = ctx.empty([2 * nW + 4 * nB], 'float32', 'packed-directions');
  const kernel = ctx.kernel({ file: DIRECTIONS_FILE, source: directionsKernels, entry: 'pack_directions' });
  ctx.dispatch(kernel, grid(ctx, packed.numel, kernel), {
    w0: d0.wHH, w1: d1.wHH, bi0: d0.bIH ?? unused, bi1: d1.bIH ?? unused, bh0: d0.bHH ?? unused, bh1: d1.bHH ?? unused, packed,
  }, { n_w: nW, n_b: nB });
  const biases = nB ? packed : unused;
  return { wHH: packed, bIH: biases, bHH: biases, dims: { ...dims, b_ih_at: 2 * nW, b_hh_at: 2 * nW + 2 * nB }, packed };
}

/** A second kernel dispatched at every step with the same StepParams (LSTM's projection, one direction). */
export interface StepDispatch { kernel: Kernel; groups: readonly number[]; bindings: Bindings }

/** StepParams of the dispatch that runs processing step k (of T) of every direction, forward pass order. */
function stepParams(d: Dims, k: number, reverse: boolean, phase: number, ds_at = 0) {
  const t = reverse ? d.T - 1 - k : k;
  const t_prev = previousStep(t, d.T, reverse);
  const t_rev = d.D === 2 ? d.T - 1 - k : t;
  const t_prev_rev = d.D === 2 ? previousStep(t_rev, d.T, true) : t_prev;
  return { ...d, t, t_prev, t_rev, t_prev_rev, phase, ds_at };
}

/** The cell kernels' workgroup grid: `groups` for one direction, the directions along z. */
function withDirections(groups: readonly number[], D: number): number[] {
  return [groups[0], groups[1] ?? 1, D];
}

/** Dispatches a cell's step kernel once per time step in processing order, each with its StepParams
 *  (shaders/recurrence.wgsl): the forward pass of every cell; `after` follows each step. */
export function forwardSteps(ctx: Context, kernel: Kernel, groups: readonly number[], d: Dims, reverse: boolean, bindings: Bindings,
  after?: StepDispatch): void {
  const g = withDirections(groups, d.D);
  for (let k = 0; k < d.T; k++) {
    const params = stepParams(d, k, reverse, 0);
    ctx.dispatch(kernel, g, bindings, params);
    if (after) ctx.dispatch(after.kernel, after.groups, after.bindings, params);
  }
}

/**
 * BPTT through the steps, last processed first: step k reads the state gradient written by step k - 1 (`first`,
 * the gradient of the final state, at k = 0) and writes the other of two buffers, so memory does not grow with
 * T. `first` may be one of the two (it is then overwritten at step 1). `before` precedes each step (LSTM's
 * projection). StepParams.phase is (T + k) % 2: the half of a two-half buffer step k reads, so that the last
 * step writes half 0 (GRU). StepParams.ds_at is `firstAt` at step 0 (where this op's rows start in a stacked
 * final-state gradient read in place, RNN), else 0. Returns the buffer written last: the gradient of the
 * initial state.
 */
export function backwardSteps(
  ctx: Context, kernel: Kernel, groups: readonly number[], d: Dims, reverse: boolean,
  first: Tensor, buffers: readonly [Tensor, Tensor], bindings: (stateIn: Tensor, stateOut: Tensor) => Bindings,
  before?: (stateIn: Tensor, stateOut: Tensor) => StepDispatch, firstAt = 0,
): Tensor {
  const g = withDirections(groups, d.D);
  let stateIn = first;
  for (let k = 0; k < d.T; k++) {
    const stateOut = buffers[k % 2];
    const params = stepParams(d, d.T - 1 - k, reverse, (d.T + k) % 2, k === 0 ? firstAt : 0);
    if (before) {
      const pre = before(stateIn, stateOut);
      ctx.dispatch(pre.kernel, pre.groups, pre.bindings, params);
    }
    ctx.dispatch(kernel, g, bindings(stateIn, stateOut), params);
    stateIn = stateOut;
  }
  return stateIn;
}

/** The [D, B, H] buffers backwardSteps alternates between for h's gradient, and the first one it reads: dHN, or
 *  zeros when nothing used hN (then the second buffer, which step 1 overwrites). */
export function stateGradBuffers(ctx: Context, dHN: Tensor | null, n: number, label: string) {
  const zerosOrSpare = dHN ? ctx.empty([n], 'float32', label) : ctx.zeros([n], 'float32', label);
  const buffers: [Tensor, Tensor] = [ctx.empty([n], 'float32', label), zerosOrSpare];
  return { first: dHN ?? zerosOrSpare, buffers, dispose: () => buffers.forEach((b) => b.dispose()) };
}

/** The step processed before step t, or NO_STEP for the first one. */
export function previousStep(t: number, T: number, reverse: boolean): number {
  if (reverse) return t === T - 1 ? NO_STEP : t + 1;
  return t === 0 ? NO_STEP : t - 1;
}

const LENGTHS_FILE = 'lengths.wgsl';
const lengthsKernels = withSnippets(lengthsSource, common);
const DIRECTIONS_FILE = 'directions.wgsl';
const directionsKernels = withSnippets(directionsSource, common);

/** The `lengths` binding and HAS_LENGTHS constant of a cell kernel (a stand-in buffer when there are none). */
export function lengthsBinding(ctx: Context, lengths: Tensor | null | undefined): { HAS_LENGTHS: number; binding: Tensor | GPUBuffer } {
  return lengths ? { HAS_LENGTHS: 1, binding: lengths } : { HAS_LENGTHS: 0, binding: ctx.dummyBuffer() };
}

/**
 * The final states of every direction: h_N [D, B, P] from the output [T, B, D·P] and, given the cell states
 * [D, T, B, H] (the head of `cells`), c_N [D, B, H]; each row's own last step with lengths. One dispatch for
 * both; views of the step itself when D = 1 and T = 1 (a generation step). [B, ·] when D = 1. With a stack,
 * written into its rows [at, at + D) and returned as views of the whole stack.
 */
export function finalStates(output: Tensor, cells: Tensor | null, d: Dims, reverse: boolean, lengths: Tensor | null | undefined,
  stack?: StateStack | null): { hN: Tensor; cN?: Tensor } {
  const ctx = output.ctx;
  const { T, B, P, H, D } = d;
  const shape = (W: number) => (D === 1 ? [B, W] : [D, B, W]);
  if (D === 1 && T === 1 && !stack) return { hN: output.view(shape(P)), ...(cells ? { cN: cells.view(shape(H)) } : {}) };
  const hN = stack ? stack.hN.view(stack.hN.shape) : ctx.empty(shape(P), 'float32', 'state');
  const lens = lengthsBinding(ctx, lengths);
  const kernel = ctx.kernel({ file: LENGTHS_FILE, source: lengthsKernels, entry: cells ? 'final_hc' : 'final_h', constants: { HAS_LENGTHS: lens.HAS_LENGTHS } });
  const params = { T, B, P, H, D, reverse: reverse ? 1 : 0, at: stack?.at ?? 0 };
  if (!cells) {
    ctx.dispatch(kernel, grid(ctx, D * B * P, kernel), { lengths: lens.binding, out: output, hn: hN }, params);
    return { hN };
  }
  const cN = stack ? stack.cN!.view(stack.cN!.shape) : ctx.empty(shape(H), 'float32', 'state');
  ctx.dispatch(kernel, grid(ctx, D * B * H, kernel), { lengths: lens.binding, out: output, cells, hn: hN, cn: cN }, params);
  return { hN, cN };
}

/**
 * prev[T, B, W]: row t = the state direction d's step t started from, from its states (columns [d·W, (d+1)·W) of
 * states [T, B, D·W]) and its initial state (B·W words of `initial` from `initialAt`; with lengths in the
 * reverse direction, row b starts at step lengths[b] − 1 and is at the initial state until then).
 */
export function previousStates(states: Tensor, initial: Tensor, initialAt: number, d: Dims, W: number, dir: number,
  reverse: boolean, lengths?: Tensor | null): Tensor {
  const ctx = states.ctx;
  const { T, B, D } = d;
  const prev = ctx.empty([T, B, W], 'float32', 'prev-states');
  const n = B * W;
  if (T > 1) {
    // forward: prev[1..T) = states[0..T-1);  reverse: prev[0..T-1) = states[1..T)
    const block = D === 1
      ? { rows: 1, cols: (T - 1) * n, srcStride: 0, dstStride: 0, srcOffset: reverse ? n : 0 }
      : { rows: (T - 1) * B, cols: W, srcStride: D * W, dstStride: W, srcOffset: dir * W + (reverse ? B * D * W : 0) };
    copyBlockInto(prev, states, { ...block, dstOffset: reverse ? 0 : n });
  }
  if (lengths && reverse) {
    // After the copy: until its first step lengths[b] − 1 a row is still at h0 (those steps' gate gradients are
    // zero anyway).
    const kernel = ctx.kernel({ file: LENGTHS_FILE, source: lengthsKernels, entry: 'first_step_scatter' });
    ctx.dispatch(kernel, grid(ctx, n, kernel), { lengths, src: initial, dst: prev }, { T, B, W, src_at: initialAt });
  } else {
    const first = reverse ? T - 1 : 0;
    copyBlockInto(prev, initial, { rows: 1, cols: n, srcStride: 0, srcOffset: initialAt, dstStride: 0, dstOffset: first * n });
  }
  return prev;
}

/**
 * The end of BPTT of direction d, shared by all cells. dGatesX [T, B, G*H] is the gradient of the input-side
 * pre-activations, dGatesH that of the recurrent side (they differ only for GRU's n gate); hPrev [T, B, P] the
 * states each step started from (P = H unless projected). Everything accumulates into the sink. The gradients of
 * h0 and c0 (all directions) are passed by the caller.
 */
export function finishDirectionBackward(
  sink: GradSink, dir: number,
  g: { dGatesX: Tensor; dGatesH: Tensor; hPrev: Tensor; T: number; B: number; H: number; P: number; G: number },
): void {
  const rows = g.T * g.B;
  const GH = g.G * g.H;
  if (sink.needs(dirInput(dir, DirInput.WHH))) {
    const dW = sink.write(dirInput(dir, DirInput.WHH));
    matmulInto(dW.grad, g.dGatesH, g.hPrev, GH, g.P, rows, { transA: true, accumulate: dW.accumulate }); // [GH, TB]·[TB, P]
  }
  if (sink.needs(dirInput(dir, DirInput.BIH))) {
    const dbIH = sink.write(dirInput(dir, DirInput.BIH));
    sumRowsInto(dbIH.grad, g.dGatesX, rows, GH, dbIH.accumulate);
  }
  if (sink.needs(dirInput(dir, DirInput.BHH))) {
    const dbHH = sink.write(dirInput(dir, DirInput.BHH));
    sumRowsInto(dbHH.grad, g.dGatesH, rows, GH, dbHH.accumulate);
  }
  // Handed over after its last read here: it becomes xProj's gradient unless one already exists.
  const x = dirInput(dir, DirInput.XProj);
  if (sink.needs(x)) sink.pass(x, g.dGatesX);
}
