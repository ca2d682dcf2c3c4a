// Fused LSTM over a sequence (shaders/lstm_cell.wgsl): one dispatch per step forward and backward, for one
// direction or both directions of a bidirectional layer; two per step with a projection, which runs one direction
// (PyTorch's proj_size: the step, then h = W_hr·(o ⊙ tanh(c)); backward the other way round).
import lstmSource from '../../shaders/lstm_cell.wgsl?raw';
import { wgslConstant } from '../core/wgsl.js';
import type { Tensor } from '../core/tensor.js';
import { record } from '../core/autograd.js';
import { copyBlockInto } from './layout.js';
import { matmulInto } from './matmul.js';
import { grid } from './grid.js';
import {
  type SequenceArgs, type SequenceResult, type StepDispatch, type LayerArgs, type LayerResult, CellInput, DirInput, dirInput, asLayer,
  checkLayerArgs, tapeInputs, recurrentWeights, finalStates, previousStates, lengthsBinding, finishDirectionBackward, cellSource,
  forwardSteps, backwardSteps, finalGradAt, passStackGrads, foldedCellSource, stepForward,
} from './recurrence.js';

const FILE = 'lstm_cell.wgsl';
const source = cellSource(lstmSource);
const sources = { one: source, both: foldedCellSource(lstmSource) };
/** Batch rows and hidden units per workgroup (TB and TU in the shader). */
const TILE_B = wgslConstant(source, 'TB');
const TILE_U = wgslConstant(source, 'TU');

/** Words [offset, offset + n) of `src` as a new tensor of `shape`. */
function sliceWords(src: Tensor, offset: number, shape: readonly number[]): Tensor {
  const out = src.ctx.empty(shape, 'float32', 'state');
  copyBlockInto(out, src, { rows: 1, cols: out.numel, srcStride: 0, srcOffset: offset, dstStride: 0, dstOffset: 0 });
  return out;
}

export function lstmSequence(args: SequenceArgs): SequenceResult {
  return lstmLayer(asLayer(args));
}

export function lstmLayer(args: LayerArgs): LayerResult {
  const checked = checkLayerArgs(args, 'lstm');
  const { T, B, H, P, D } = checked;
  const { dirs, h0, reverse } = args;
  const c0 = args.c0 ?? null;
  const wHR = dirs[0].wHR ?? null;
  if (wHR && D > 1) throw new RangeError('LSTM: projections run one direction per op');
  const lengths = args.lengths ?? null;
  const ctx = dirs[0].xProj.ctx;
  const lens = lengthsBinding(ctx, lengths);
  const hasState0 = h0 !== null || c0 !== null;
  const constants = { HAS_LENGTHS: lens.HAS_LENGTHS, PROJECTED: wHR ? 1 : 0, HAS_STATE0: hasState0 ? 1 : 0 };
  const hasBias = dirs[0].bIH !== null && dirs[0].bHH !== null;
  const groups = [Math.ceil(H / TILE_U), Math.ceil(B / TILE_B)];
  const unused = ctx.dummyBuffer();
  const weights = recurrentWeights(ctx, args, checked, 4);
  const dims = weights.dims;

  const output = ctx.empty([T, B, D * P], 'float32', 'lstm-output');
  // c [D, T, B, H] padded to whole vec4s, the gates (i, f, g, o) [D, T, B, H] as vec4s, then h0 [D, B, P] and
  // c0 [D, B, H] (copied in; zeros written by the first step when there are none).
  const cWords = Math.ceil((D * T * B * H) / 4) * 4;
  const state0At = cWords + 4 * D * T * B * H;
  const units = ctx.empty([state0At + D * B * (P + H)], 'float32', 'lstm-units');
  if (hasState0) {
    for (const [state, W, at] of [[h0, P, state0At], [c0, H, state0At + D * B * P]] as const) {
      const src = state ?? ctx.zeros([D * B * W], 'float32', 'state0'); // only one of the two given: zeros
      copyBlockInto(units, src, { rows: 1, cols: D * B * W, srcStride: 0, srcOffset: 0, dstStride: 0, dstOffset: at });
      if (src !== state) src.dispose();
    }
  }
  const step = stepForward(ctx, FILE, sources, weights, args.stack, true);
  const forward = ctx.kernel({ file: step.file, source: step.source, entry: 'lstm_step_forward', constants: { ...constants, HAS_BIAS: hasBias ? 1 : 0 } });
  let project: StepDispatch | undefined;
  if (wHR) {
    const kernel = ctx.kernel({ file: FILE, source, entry: 'lstm_project_forward', constants });
    project = { kernel, groups: grid(ctx, B * P, kernel), bindings: { units, w_hr: wHR, out: output, lengths: lens.binding } };
  }
  forwardSteps(ctx, forward, groups, dims, reverse, {
    xproj: dirs[0].xProj, xproj_rev: (dirs[1] ?? dirs[0]).xProj, w_hh: weights.wHH, ...step.bindings,
    out: output, units, lengths: lens.binding,
  }, project);
  let finals = step.finals;
  if (!finals) {
    const cells = units.view([D * T * B * H]); // the head of `units`
    finals = finalStates(output, cells, dims, reverse, lengths, args.stack);
    cells.dispose();
  }
  const { hN, cN } = finals;

  const saved = [output, units, weights.wHH];
  const lengthsAt = lengths ? saved.push(lengths) - 1 : -1;
  const wHRAt = wHR ? saved.push(wHR) - 1 : -1;
  record('LSTM', tapeInputs(args), [output, hN, cN!], saved, ([dOut, dHN, dCN], sink, s) => {
    const [sOut, sUnits, sW] = s;
    const sLengths = lengthsAt >= 0 ? s[lengthsAt] : null;
    const sWHR = wHRAt >= 0 ? s[wHRAt] : null;
    const lengthsBound = sLengths ?? unused;
    // With a projection dout enters through lstm_project_backward, so the step itself never reads it.
    const backward = ctx.kernel({
      file: FILE, source, entry: 'lstm_step_backward', constants: { ...constants, HAS_DOUT: dOut && !sWHR ? 1 : 0 },
    });
    const dGates = dirs.map(() => ctx.empty([T, B, 4 * H], 'float32', 'lstm-dgates'));
    const dGatesRev = dGates[1] ?? ctx.empty([1], 'float32', 'lstm-dgates-unused'); // written by no thread when D = 1
    // (dh [D, B, P], dc [D, B, H]) ping-pong between two buffers, starting from (dh_N, dc_N).
    const nH = D * B * P;
    const nC = D * B * H;
    const dsLast = dHN && dCN ? ctx.empty([nH + nC], 'float32', 'lstm-ds') : ctx.zeros([nH + nC], 'float32', 'lstm-ds');
    const block = { rows: 1, srcStride: 0, srcOffset: 0, dstStride: 0 };
    if (dHN) copyBlockInto(dsLast, dHN, { ...block, cols: nH, srcOffset: finalGradAt(args, B, P), dstOffset: 0 });
    if (dCN) copyBlockInto(dsLast, dCN, { ...block, cols: nC, srcOffset: finalGradAt(args, B, H), dstOffset: nH });
    const dsSpare = ctx.empty([nH + nC], 'float32', 'lstm-ds');
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
      w_hh: sW, dout: (sWHR ? null : dOut) ?? unused, ds_in: dsRaw ?? dsIn, ds_out: dsOut, dgates: dGates[0], dgates_rev: dGatesRev,
      units_saved: sUnits, lengths: lengthsBound,
    }), projectBack); // (dh0, dc0)
    let hRaw: Tensor | null = null;
    if (sWHR && sink.needs(dirInput(0, DirInput.WHR))) {
      // dW_hr = Σ_t dprojᵀ·(o ⊙ tanh(c)) over all T·B rows: [P, TB]·[TB, H]
      hRaw = ctx.empty([T, B, H], 'float32', 'lstm-h-raw');
      const kernel = ctx.kernel({ file: FILE, source, entry: 'lstm_hidden_raw', constants });
      ctx.dispatch(kernel, grid(ctx, T * B * H, kernel), { units_saved: sUnits, h_raw: hRaw },
        { ...dims, t: 0, t_prev: 0, t_rev: 0, t_prev_rev: 0, phase: 0, ds_at: 0 });
      const dWHR = sink.write(dirInput(0, DirInput.WHR));
      matmulInto(dWHR.grad, dProj!, hRaw, P, H, T * B, { transA: true, accumulate: dWHR.accumulate });
    }
    dirs.forEach((_, d) => {
      const rev = reverse || d === 1;
      const hPrev = previousStates(sOut, sUnits, state0At + d * B * P, dims, P, d, rev, sLengths); // h0 from the tail of units
      finishDirectionBackward(sink, d, { dGatesX: dGates[d], dGatesH: dGates[d], hPrev, ...dims, G: 4 });
      hPrev.dispose();
    });
    const stateShape = (W: number) => (D === 1 ? [B, W] : [D, B, W]);
    if (sink.needs(CellInput.H0)) {
      const dh = sliceWords(ds0, 0, stateShape(P));
      sink.pass(CellInput.H0, dh);
      dh.dispose();
    }
    if (sink.needs(CellInput.C0)) {
      const dc = sliceWords(ds0, nH, stateShape(H));
      sink.pass(CellInput.C0, dc);
      dc.dispose();
    }
    passStackGrads(sink, D, dHN, dCN);
    for (const x of new Set([...dGates, dGatesRev, dsLast, dsSpare, dsRaw, dProj, hRaw])) x?.dispose();
  });
  // The tape keeps its own views of what backward reads.
  units.dispose();
  weights.packed?.dispose();
  return { output, hN, cN };
}
