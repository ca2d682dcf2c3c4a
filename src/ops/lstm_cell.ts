// Fused LSTM over a sequence (shaders/lstm_cell.wgsl): one dispatch per step forward and backward, two with a
// projection (PyTorch's proj_size: the step, then h = W_hr·(o ⊙ tanh(c)); backward the other way round).
import source from '../../shaders/lstm_cell.wgsl?raw';
import type { Tensor } from '../core/tensor.js';
import type { Context } from '../core/context.js';
import { record } from '../core/autograd.js';
import { copyBlockInto } from './layout.js';
import { matmulInto } from './matmul.js';
import { grid } from './grid.js';
import {
  type SequenceArgs, type SequenceResult, CellInput, checkSequenceArgs, stepOrder, previousStep, finalState,
  previousStates, finishRecurrentBackward, lengthsBinding,
} from './recurrence.js';

const FILE = 'lstm_cell.wgsl';
/** Batch rows and hidden units per workgroup (TB and TU in the shader); threads of the 1-D entry points (WG). */
const TILE_B = 8;
const TILE_U = 8;
const WG = 64;

/** `first` [nFirst words] then `second` [nSecond words] in one buffer (a null one: zeros). The kernels take
 *  (h0, c0) and (dh, dc) in one binding each, which keeps every entry point within 8 storage buffers. */
function stack2(ctx: Context, first: Tensor | null, second: Tensor | null, nFirst: number, nSecond: number, label: string): Tensor {
  const out = first && second ? ctx.empty([nFirst + nSecond], 'float32', label) : ctx.zeros([nFirst + nSecond], 'float32', label);
  const block = { rows: 1, srcStride: 0, srcOffset: 0, dstStride: 0 };
  if (first) copyBlockInto(out, first, { ...block, cols: nFirst, dstOffset: 0 });
  if (second) copyBlockInto(out, second, { ...block, cols: nSecond, dstOffset: nFirst });
  return out;
}

/** words [offset, offset + B·W) of `src` as a new [B, W] tensor. */
function sliceRows(src: Tensor, offset: number, B: number, W: number): Tensor {
  const out = src.ctx.empty([B, W], 'float32', 'state');
  copyBlockInto(out, src, { rows: 1, cols: B * W, srcStride: 0, srcOffset: offset, dstStride: 0, dstOffset: 0 });
  return out;
}

export function lstmSequence(args: SequenceArgs): SequenceResult {
  const { T, B, H, P } = checkSequenceArgs(args, 4, 'LSTM');
  const { xProj, wHH, bIH, bHH, h0, reverse } = args;
  const c0 = args.c0 ?? null;
  const wHR = args.wHR ?? null;
  const lengths = args.lengths ?? null;
  const ctx = xProj.ctx;
  const lens = lengthsBinding(ctx, lengths);
  const projected = wHR !== null;
  const constants = { HAS_LENGTHS: lens.HAS_LENGTHS, PROJECTED: projected ? 1 : 0 };
  const hasBias = bIH !== null && bHH !== null;
  const groups = [Math.ceil(H / TILE_U), Math.ceil(B / TILE_B)];
  const unused = ctx.dummyBuffer();
  const params = (t: number) => [T, B, H, P, t, previousStep(t, T, reverse)];

  const state0 = stack2(ctx, h0, c0, B * P, B * H, 'lstm-state0'); // h0 [B, P], c0 [B, H] (zeros where null)
  const output = ctx.empty([T, B, P], 'float32', 'lstm-output');
  // c [T, B, H] padded to whole vec4s, then the gates (i, f, g, o) [T, B, H] as vec4s.
  const cWords = Math.ceil((T * B * H) / 4) * 4;
  const units = ctx.empty([cWords + 4 * T * B * H], 'float32', 'lstm-units');
  const forward = ctx.kernel({ file: FILE, source, entry: 'lstm_step_forward', constants: { ...constants, HAS_BIAS: hasBias ? 1 : 0 } });
  const project = projected ? ctx.kernel({ file: FILE, source, entry: 'lstm_project_forward', constants }) : null;
  for (const t of stepOrder(T, reverse)) {
    ctx.dispatch(forward, groups,
      [xProj, wHH, bIH ?? unused, bHH ?? unused, state0, output, units, null, null, null, null, null, lens.binding], params(t));
    if (project) {
      ctx.dispatch(project, [Math.ceil((B * P) / WG)],
        [null, null, null, null, null, output, units, null, null, null, null, null, lens.binding, wHR], params(t));
    }
  }
  const last = reverse ? 0 : T - 1;
  const cells = units.view([T, B, H]);
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
      file: FILE, source, entry: 'lstm_step_backward', constants: { ...constants, HAS_DOUT: dOut && !projected ? 1 : 0 },
    });
    const projectBack = sWHR
      ? ctx.kernel({ file: FILE, source, entry: 'lstm_project_backward', constants: { ...constants, HAS_DOUT: dOut ? 1 : 0 } })
      : null;
    const dGates = ctx.empty([T, B, 4 * H], 'float32', 'lstm-dgates');
    // (dh [B, P], dc [B, H]) ping-pong between two buffers, starting from (dh_N, dc_N).
    let dsIn = stack2(ctx, dHN, dCN, B * P, B * H, 'lstm-ds');
    let dsOut = ctx.empty([B * (P + H)], 'float32', 'lstm-ds');
    const dsRaw = projectBack ? ctx.empty([2, B, H], 'float32', 'lstm-ds-raw') : null; // the step's (dh, dc), unprojected
    const dProj = projectBack ? ctx.empty([T, B, P], 'float32', 'lstm-dproj') : null; // dout_t + dh_t per step
    for (const t of stepOrder(T, !reverse)) {
      if (projectBack) {
        ctx.dispatch(projectBack, [Math.ceil((B * H) / WG)],
          [null, null, null, null, null, null, null, dOut ?? unused, null, dsOut, null, null, lengthsBound, sWHR, dsIn, dsRaw, dProj],
          params(t));
      }
      ctx.dispatch(backward, groups,
        [null, sW, null, null, sState0, null, null, projectBack ? unused : dOut ?? unused, dsRaw ?? dsIn, dsOut, dGates, sUnits, lengthsBound],
        params(t));
      [dsIn, dsOut] = [dsOut, dsIn];
    }
    // dsIn now holds (dh0, dc0).
    const hPrev = previousStates(sOut, sState0, T, B, P, reverse, sLengths); // reads h0: the first B·P words of state0
    const dh = sliceRows(dsIn, 0, B, P);
    const dc = sink.gradOf(CellInput.C0) ? sliceRows(dsIn, B * P, B, H) : null;
    const dWHR = projectBack ? sink.target(CellInput.WHR) : null;
    let hRaw: Tensor | null = null;
    if (dWHR) {
      // dW_hr = Σ_t dprojᵀ·(o ⊙ tanh(c)) over all T·B rows: [P, TB]·[TB, H]
      hRaw = ctx.empty([T, B, H], 'float32', 'lstm-h-raw');
      const rawKernel = ctx.kernel({ file: FILE, source, entry: 'lstm_hidden_raw', constants });
      ctx.dispatch(rawKernel, grid(ctx, T * B * H, WG),
        [null, null, null, null, null, null, null, null, null, null, null, sUnits, null, null, null, null, null, hRaw], params(0));
      matmulInto(dWHR.grad, dProj!, hRaw, P, H, T * B, { transA: true, accumulate: dWHR.accumulate });
    }
    finishRecurrentBackward(sink, { dGatesX: dGates, dGatesH: dGates, hPrev, dh, dc, T, B, H, G: 4, P });
    for (const x of [dGates, dsIn, dsOut, dsRaw, dProj, hRaw, hPrev, dh, dc]) x?.dispose();
  });
  // The tape keeps its own views of what backward reads.
  for (const x of [units, state0]) x.dispose();
  return { output, hN, cN };
}
