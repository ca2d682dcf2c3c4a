// Fused GRU over a sequence (shaders/gru_cell.wgsl): one dispatch per step forward and backward, for one
// direction or both directions of a bidirectional layer.
import gruSource from '../../shaders/gru_cell.wgsl?raw';
import { record, needsGrad } from '../core/autograd.js';
import type { Tensor } from '../core/tensor.js';
import { copyBlockInto } from './layout.js';
import {
  type SequenceArgs, type SequenceResult, type LayerArgs, type LayerResult, CellInput, asLayer, checkLayerArgs, tapeInputs,
  recurrentWeights, finalStates, previousStates, lengthsBinding, finishDirectionBackward, cellSource, forwardSteps, backwardSteps,
  finalGradAt, passStackGrads, foldedCellSource, stepForward,
} from './recurrence.js';

const FILE = 'gru_cell.wgsl';
const source = cellSource(gruSource);
const sources = { one: source, both: foldedCellSource(gruSource) };

export function gruSequence(args: SequenceArgs): SequenceResult {
  return gruLayer(asLayer(args));
}

export function gruLayer(args: LayerArgs): LayerResult {
  const checked = checkLayerArgs(args, 'gru');
  const { T, B, H, D } = checked;
  const { dirs, reverse } = args;
  const ctx = dirs[0].xProj.ctx;
  const h0 = args.h0;
  const hasBias = dirs[0].bIH !== null && dirs[0].bHH !== null;
  const lengths = args.lengths ?? null;
  const lens = lengthsBinding(ctx, lengths);
  // Without a tape node nothing reads the saved gates: the kernel skips them, and `gates` is h0 itself (or a
  // 1-element stand-in, not the shared dummy buffer, which may already be bound read-only in the same dispatch).
  const save = needsGrad(h0, ...dirs.flatMap((x) => [x.xProj, x.wHH, x.bIH, x.bHH]), args.stack?.hN);
  const weights = recurrentWeights(ctx, args, checked, 3);
  const dims = weights.dims;
  const n = D * B * H;
  const savedWords = D * T * B * 5 * H;
  const output = ctx.empty([T, B, D * H], 'float32', 'gru-output');
  let gates: Tensor;
  if (save) {
    gates = ctx.empty([savedWords + n], 'float32', 'gru-gates'); // r, z, n, hn, h per unit, then h0
    if (h0) copyBlockInto(gates, h0, { rows: 1, cols: n, srcStride: 0, srcOffset: 0, dstStride: 0, dstOffset: savedWords });
  } else {
    gates = h0 ? h0.view([n]) : ctx.empty([1], 'float32', 'gru-gates');
  }
  const step = stepForward(ctx, FILE, sources, weights, args.stack, false);
  const forward = ctx.kernel({
    file: step.file, source: step.source, entry: 'gru_step_forward',
    constants: { HAS_BIAS: hasBias ? 1 : 0, SAVE: save ? 1 : 0, HAS_H0: h0 ? 1 : 0, HAS_LENGTHS: lens.HAS_LENGTHS },
  });
  const groups = [Math.ceil((B * H) / forward.entry!.workgroupSize[0])];
  forwardSteps(ctx, forward, groups, dims, reverse, {
    xproj: dirs[0].xProj, xproj_rev: (dirs[1] ?? dirs[0]).xProj, w_hh: weights.wHH, ...step.bindings,
    out: output, gates, lengths: lens.binding,
  });
  const { hN } = step.finals ?? finalStates(output, null, dims, reverse, lengths, args.stack);

  const saved = [output, gates, weights.wHH, ...(lengths ? [lengths] : [])];
  record('GRU', tapeInputs(args), [output, hN], saved, ([dOut, dHN], sink, [sOut, sGates, sW, sLengths]) => {
    const backward = ctx.kernel({
      file: FILE, source, entry: 'gru_step_backward', constants: { HAS_DOUT: dOut ? 1 : 0, HAS_LENGTHS: lens.HAS_LENGTHS },
    });
    const unused = ctx.dummyBuffer();
    const dGatesX = dirs.map(() => ctx.empty([T, B, 3 * H], 'float32', 'gru-dgates-x'));
    const dGatesXRev = dGatesX[1] ?? ctx.empty([1], 'float32', 'gru-dgates-unused'); // written by no thread when D = 1
    const dGatesH = ctx.empty([D, T, B, 3 * H], 'float32', 'gru-dgates-h');
    // dh_t and dh_{t-1} in the two halves of one buffer: dh_N first in the half step 0 reads (StepParams.phase).
    const dh = dHN ? ctx.empty([2 * n], 'float32', 'gru-dh') : ctx.zeros([2 * n], 'float32', 'gru-dh');
    if (dHN) copyBlockInto(dh, dHN, { rows: 1, cols: n, srcStride: 0, srcOffset: finalGradAt(args, B, H), dstStride: 0, dstOffset: (T % 2) * n });
    backwardSteps(ctx, backward, groups, dims, reverse, dh, [dh, dh], () => ({
      w_hh: sW, dout: dOut ?? unused, dh, dgates_x: dGatesX[0], dgates_x_rev: dGatesXRev, dgates_h: dGatesH, saved: sGates,
      lengths: sLengths ?? unused,
    }));
    dirs.forEach((_, d) => {
      const rev = reverse || d === 1;
      const hPrev = previousStates(sOut, sGates, savedWords + d * B * H, dims, H, d, rev, sLengths);
      // Direction 1's recurrent-side gradient is the second block of dGatesH: the matmuls read from the start.
      let dh1: Tensor | null = null;
      if (d === 1) {
        dh1 = ctx.empty([T, B, 3 * H], 'float32', 'gru-dgates-h');
        copyBlockInto(dh1, dGatesH, { rows: 1, cols: T * B * 3 * H, srcStride: 0, srcOffset: T * B * 3 * H, dstStride: 0, dstOffset: 0 });
      }
      finishDirectionBackward(sink, d, { dGatesX: dGatesX[d], dGatesH: dh1 ?? dGatesH, hPrev, ...dims, G: 3 });
      for (const t of [hPrev, dh1]) t?.dispose();
    });
    if (sink.needs(CellInput.H0)) {
      const dh0 = dh.view([n]); // the last step wrote half 0
      sink.pass(CellInput.H0, dh0);
      dh0.dispose();
    }
    passStackGrads(sink, D, dHN, null);
    for (const t of new Set([dh, ...dGatesX, dGatesXRev, dGatesH])) t.dispose();
  });
  gates.dispose(); // the tape keeps its own view when it recorded the node
  weights.packed?.dispose();
  return { output, hN };
}
