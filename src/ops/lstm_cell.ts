// Fused LSTM over a sequence (shaders/lstm_cell.wgsl): one dispatch per step forward and backward.
import lstmSource from '../../shaders/lstm_cell.wgsl?raw';
import { wgslConstant } from '../core/wgsl.js';
import type { Tensor } from '../core/tensor.js';
import type { Context } from '../core/context.js';
import { record } from '../core/autograd.js';
import { copyBlockInto } from './layout.js';
import {
  type SequenceArgs, type SequenceResult, CellInput, checkSequenceArgs, stepSlice,
  previousStates, finishRecurrentBackward, cellSource, forwardSteps, backwardSteps,
} from './recurrence.js';

const FILE = 'lstm_cell.wgsl';
const source = cellSource(lstmSource);
/** Batch rows and hidden units per workgroup (TB and TU in the shader). */
const TILE_B = wgslConstant(source, 'TB');
const TILE_U = wgslConstant(source, 'TU');

/** [2, B, H] = a on top of b (a null one: zeros). The kernels take h0/c0 and dh/dc in one binding each, which keeps
 *  every entry point within 8 storage buffers. */
function stack2(ctx: Context, a: Tensor | null, b: Tensor | null, B: number, H: number, label: string): Tensor {
  const n = B * H;
  const out = a && b ? ctx.empty([2, B, H], 'float32', label) : ctx.zeros([2, B, H], 'float32', label);
  const block = { rows: 1, cols: n, srcStride: 0, srcOffset: 0, dstStride: 0 };
  if (a) copyBlockInto(out, a, { ...block, dstOffset: 0 });
  if (b) copyBlockInto(out, b, { ...block, dstOffset: n });
  return out;
}

export function lstmSequence(args: SequenceArgs): SequenceResult {
  const { T, B, H } = checkSequenceArgs(args, 'lstm');
  const { xProj, wHH, bIH, bHH, h0, reverse } = args;
  const c0 = args.c0 ?? null;
  const ctx = xProj.ctx;
  const hasBias = bIH !== null && bHH !== null;
  const groups = [Math.ceil(H / TILE_U), Math.ceil(B / TILE_B)];
  const unused = ctx.dummyBuffer();

  const state0 = stack2(ctx, h0, c0, B, H, 'lstm-state0'); // [2, B, H] h0, c0 (zeros where null)
  const output = ctx.empty([T, B, H], 'float32', 'lstm-output');
  const cells = ctx.empty([T, B, H], 'float32', 'lstm-cells');
  const gates = ctx.empty([T, B, 4 * H], 'float32', 'lstm-gates'); // (i, f, g, o) interleaved per unit
  const forward = ctx.kernel({ file: FILE, source, entry: 'lstm_step_forward', constants: { HAS_BIAS: hasBias ? 1 : 0 } });
  forwardSteps(ctx, forward, groups, { T, B, H }, reverse,
    { xproj: xProj, w_hh: wHH, b_ih: bIH ?? unused, b_hh: bHH ?? unused, state0, out: output, cells, gates });
  const last = reverse ? 0 : T - 1;
  const hN = stepSlice(output, last, B, H);
  const cN = stepSlice(cells, last, B, H);

  record('LSTM', [xProj, wHH, bIH, bHH, h0, c0], [output, hN, cN], [output, cells, gates, state0, wHH],
    ([dOut, dHN, dCN], sink, [sOut, sCells, sGates, sState0, sW]) => {
      const backward = ctx.kernel({ file: FILE, source, entry: 'lstm_step_backward', constants: { HAS_DOUT: dOut ? 1 : 0 } });
      const dGates = ctx.empty([T, B, 4 * H], 'float32', 'lstm-dgates');
      // (dh, dc) ping-pong between two [2, B, H] buffers, starting from (dh_N, dc_N).
      const dsLast = stack2(ctx, dHN, dCN, B, H, 'lstm-ds');
      const dsSpare = ctx.empty([2, B, H], 'float32', 'lstm-ds');
      const ds0 = backwardSteps(ctx, backward, groups, { T, B, H }, reverse, dsLast, [dsSpare, dsLast], (dsIn, dsOut) => ({
        w_hh: sW, state0: sState0, dout: dOut ?? unused, ds_in: dsIn, ds_out: dsOut, dgates: dGates, cells_saved: sCells, gates_saved: sGates,
      })); // (dh0, dc0)
      const hPrev = previousStates(sOut, sState0, T, B, H, reverse); // reads h0: the first B·H of state0
      const dh = stepSlice(ds0, 0, B, H);
      const dc = sink.needs(CellInput.C0) ? stepSlice(ds0, 1, B, H) : null;
      finishRecurrentBackward(sink, { dGatesX: dGates, dGatesH: dGates, hPrev, dh, dc, T, B, H, G: 4 });
      for (const x of [dGates, dsLast, dsSpare, hPrev, dh, dc]) x?.dispose();
    });
  // The tape keeps its own views of what backward reads.
  for (const x of [cells, gates, state0]) x.dispose();
  return { output, hN, cN };
}
