// Fused LSTM over a sequence (shaders/lstm_cell.wgsl): one dispatch per step forward and backward, two with a
// projection (PyTorch's proj_size: the step, then h = W_hr·(o ⊙ tanh(c)); backward the other way round).
import lstmSource from '../../shaders/lstm_cell.wgsl?raw';
import { wgslConstant } from '../core/wgsl.js';
import type { Tensor } from '../core/tensor.js';
import type { Context } from '../core/context.js';
import { record } from '../core/autograd.js';
import { copyBlockInto } from './layout.js';
import { matmulInto } from './matmul.js';
import { grid } from './grid.js';
import {
  type SequenceArgs, type SequenceResult, type StepDispatch, CellInput, checkSequenceArgs, finalState, previousStates, lengthsBinding,
  finishRecurrentBackward, cellSource, forwardSteps, backwardSteps,
} from './recurrence.js';

const FILE = 'lstm_cell.wgsl';
const source = cellSource(lstmSource);
/** Batch rows and hidden units per workgroup (TB and TU in the shader). */
const TILE_B = wgslConstant(source, 'TB');
const TILE_U = wgslConstant(source, 'TU');

/** `first` [nFirst words] then `second` [nSecond words] in one buffer (a null one: zeros). The kernels take
 *  (h0, c0) and (dh, dc) in one binding each, which keeps every entry point within 8 storage buffers. */
function stack2(ctx: Context, first: Tensor | null, second: Tensor | null, nFirst: number, nSecond: number, label: string): Tensor {
  const out = first && second ? ctx.empty([nFirst + nSecond], 'float32', label) : ctx.zeros([nFirst + nSecond], 'float32', label);
  const block = { rows: 1, srcStride: 0, srcOffset: 0, dstStride: 0 };
  if (first) copyBlockInto(out, first, { ...block, cols: nFirst, dstOffset: 0 });
  if (second) copyBlockInto(out, second, { ...block, cols: nSecond, dstOffset: nFirst });
  return out;
}

/** Words [offset, offset + B·W) of `src` as a new [B, W] tensor. */
function sliceRows(src: Tensor, offset: number, B: number, W: number): Tensor {
  const out = src.ctx.empty([B, W], 'float32', 'state');
  copyBlockInto(out, src, { rows: 1, cols: B * W, srcStride: 0, srcOffset: offset, dstStride: 0, dstOffset: 0 });
  return out;
}

export function lstmSequence(args: SequenceArgs): SequenceResult {
  const dims = checkSequenceArgs(args, 'lstm');
  const { T, B, H, P } = dims;
  const { xProj, wHH, bIH, bHH, h0, reverse } = args;
  const c0 = args.c0 ?? null;
  const wHR = args.wHR ?? null;
  const lengths = args.lengths ?? null;
  const ctx = xProj.ctx;
  const lens = lengthsBinding(ctx, lengths);
  const constants = { HAS_LENGTHS: lens.HAS_LENGTHS, PROJECTED: wHR ? 1 : 0 };
  const hasBias = bIH !== null && bHH !== null;
  const groups = [Math.ceil(H / TILE_U), Math.ceil(B / TILE_B)];
  const unused = ctx.dummyBuffer();

  const state0 = stack2(ctx, h0, c0, B * P, B * H, 'lstm-state0'); // h0 [B, P], c0 [B, H] (zeros where null)
  const output = ctx.empty([T, B, P], 'float32', 'lstm-output');
  // c [T, B, H] padded to whole vec4s, then the gates (i, f, g, o) [T, B, H] as vec4s.
  const cWords = Math.ceil((T * B * H) / 4) * 4;
  const units = ctx.empty([cWords + 4 * T * B * H], 'float32', 'lstm-units');
  const forward = ctx.kernel({ file: FILE, source, entry: 'lstm_step_forward', constants: { ...constants, HAS_BIAS: hasBias ? 1 : 0 } });
  let project: StepDispatch | undefined;
  if (wHR) {
    const kernel = ctx.kernel({ file: FILE, source, entry: 'lstm_project_forward', constants });
    project = { kernel, groups: grid(ctx, B * P, kernel), bindings: { units, w_hr: wHR, out: output, lengths: lens.binding } };
  }
  forwardSteps(ctx, forward, groups, dims, reverse,
    { xproj: xProj, w_hh: wHH, b_ih: bIH ?? unused, b_hh: bHH ?? unused, state0, out: output, units, lengths: lens.binding }, project);
  const last = reverse ? 0 : T - 1;
  const cells = units.view([T, B, H]); // the head of `units`
  const hN = finalState(output, last, B, P, lengths, reverse);
  const cN = finalState(cells, last, B, H, lengths, reverse);
  cells.dispose();

  const saved = [output, units, state0, wHH];
  const lengthsAt = lengths ? saved.push(lengths) - 1 : -1;
  const wHRAt = wHR ? saved.push(wHR) - 1 : -1;
  record('LSTM', [xProj, wHH, bIH, bHH, h0, c0, wHR], [output, hN, cN], saved, ([dOut, dHN, dCN], sink, s) => {
    const [sOut, sUnits, sState0, sW] = s;
    const sLengths = lengthsAt >= 0 ? s[lengthsAt] : null;
    const sWHR = wHRAt >= 0 ? s[wHRAt] : null;
    const lengthsBound = sLengths ?? unused;
    // With a projection dout enters through lstm_project_backward, so the step itself never reads it.
    const backward = ctx.kernel({
      file: FILE, source, entry: 'lstm_step_backward', constants: { ...constants, HAS_DOUT: dOut && !sWHR ? 1 : 0 },
    });
    const dGates = ctx.empty([T, B, 4 * H], 'float32', 'lstm-dgates');
    // (dh [B, P], dc [B, H]) ping-pong between two buffers, starting from (dh_N, dc_N).
    const dsLast = stack2(ctx, dHN, dCN, B * P, B * H, 'lstm-ds');
    const dsSpare = ctx.empty([B * (P + H)], 'float32', 'lstm-ds');
    const dsRaw = sWHR ? ctx.empty([2, B, H], 'float32', 'lstm-ds-raw') : null; // the step's (dh, dc), unprojected
    const dProj = sWHR ? ctx.empty([T, B, P], 'float32', 'lstm-dproj') : null; // dout_t + dh_t per step, for dW_hr
    let projectBack: ((dsIn: Tensor, dsOut: Tensor) => StepDispatch) | undefined;
    if (sWHR) {
      const kernel = ctx.kernel({ file: FILE, source, entry: 'lstm_project_backward', constants: { ...constants, HAS_DOUT: dOut ? 1 : 0 } });
      const projGroups = grid(ctx, B * H, kernel);
      projectBack = (dsIn: Tensor, dsOut: Tensor) => ({
        kernel, groups: projGroups,
        bindings: { dout: dOut ?? unused, ds_proj: dsIn, w_hr: sWHR, ds_raw: dsRaw!, ds_out: dsOut, dproj: dProj!, lengths: lengthsBound },
      });
    }
    const ds0 = backwardSteps(ctx, backward, groups, dims, reverse, dsLast, [dsSpare, dsLast], (dsIn, dsOut) => ({
      w_hh: sW, state0: sState0, dout: (sWHR ? null : dOut) ?? unused, ds_in: dsRaw ?? dsIn, ds_out: dsOut, dgates: dGates,
      units_saved: sUnits, lengths: lengthsBound,
    }), projectBack); // (dh0, dc0)
    const hPrev = previousStates(sOut, sState0, T, B, P, reverse, sLengths); // reads h0: the first B·P words of state0
    const dh = sliceRows(ds0, 0, B, P);
    const dc = sink.needs(CellInput.C0) ? sliceRows(ds0, B * P, B, H) : null;
    let hRaw: Tensor | null = null;
    if (sWHR && sink.needs(CellInput.WHR)) {
      // dW_hr = Σ_t dprojᵀ·(o ⊙ tanh(c)) over all T·B rows: [P, TB]·[TB, H]
      hRaw = ctx.empty([T, B, H], 'float32', 'lstm-h-raw');
      const kernel = ctx.kernel({ file: FILE, source, entry: 'lstm_hidden_raw', constants });
      ctx.dispatch(kernel, grid(ctx, T * B * H, kernel), { units_saved: sUnits, h_raw: hRaw }, { ...dims, t: 0, t_prev: 0 });
      const dWHR = sink.write(CellInput.WHR);
      matmulInto(dWHR.grad, dProj!, hRaw, P, H, T * B, { transA: true, accumulate: dWHR.accumulate });
    }
    finishRecurrentBackward(sink, { dGatesX: dGates, dGatesH: dGates, hPrev, dh, dc, ...dims, G: 4 });
    for (const x of [dGates, dsLast, dsSpare, dsRaw, dProj, hRaw, hPrev, dh, dc]) x?.dispose();
  });
  // The tape keeps its own views of what backward reads.
  for (const x of [units, state0]) x.dispose();
  return { output, hN, cN };
}
