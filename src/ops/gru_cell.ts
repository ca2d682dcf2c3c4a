// Fused GRU over a sequence (shaders/gru_cell.wgsl): one dispatch per step forward and backward.
import gruSource from '../../shaders/gru_cell.wgsl?raw';
import { record, needsGrad } from '../core/autograd.js';
import {
  type SequenceArgs, type SequenceResult, checkSequenceArgs, finalState, previousStates, lengthsBinding,
  finishRecurrentBackward, stateGradBuffers, cellSource, forwardSteps, backwardSteps,
} from './recurrence.js';

const FILE = 'gru_cell.wgsl';
const source = cellSource(gruSource);

export function gruSequence(args: SequenceArgs): SequenceResult {
  const dims = checkSequenceArgs(args, 'gru');
  const { T, B, H } = dims;
  const { xProj, wHH, bIH, bHH, reverse } = args;
  const ctx = xProj.ctx;
  const h0 = args.h0 ?? ctx.zeros([B, H], 'float32', 'h0');
  const hasBias = bIH !== null && bHH !== null;
  const lengths = args.lengths ?? null;
  const lens = lengthsBinding(ctx, lengths);
  // Without a tape node nothing reads the saved gates: the kernel skips them and a 1-element stand-in is bound
  // (not the shared dummy buffer, which may already be bound read-only in the same dispatch for the biases).
  const save = needsGrad(xProj, wHH, bIH, bHH, h0);
  const output = ctx.empty([T, B, H], 'float32', 'gru-output');
  const gates = ctx.empty(save ? [T, B, 5 * H] : [1], 'float32', 'gru-gates'); // r, z, n, hn, h per unit
  const forward = ctx.kernel({
    file: FILE, source, entry: 'gru_step_forward', constants: { HAS_BIAS: hasBias ? 1 : 0, SAVE: save ? 1 : 0, HAS_LENGTHS: lens.HAS_LENGTHS },
  });
  const groups = [Math.ceil((B * H) / forward.entry!.workgroupSize[0])];
  const unused = ctx.dummyBuffer();
  forwardSteps(ctx, forward, groups, dims, reverse,
    { xproj: xProj, w_hh: wHH, b_ih: bIH ?? unused, b_hh: bHH ?? unused, h0, out: output, gates, lengths: lens.binding });
  const hN = finalState(output, reverse ? 0 : T - 1, B, H, lengths, reverse);

  const saved = lengths ? [output, gates, h0, wHH, lengths] : [output, gates, h0, wHH];
  record('GRU', [xProj, wHH, bIH, bHH, args.h0], [output, hN], saved, ([dOut, dHN], sink, [sOut, sGates, sH0, sW, sLengths]) => {
    const backward = ctx.kernel({
      file: FILE, source, entry: 'gru_step_backward', constants: { HAS_DOUT: dOut ? 1 : 0, HAS_LENGTHS: lens.HAS_LENGTHS },
    });
    const dGatesX = ctx.empty([T, B, 3 * H], 'float32', 'gru-dgates-x');
    const dGatesH = ctx.empty([T, B, 3 * H], 'float32', 'gru-dgates-h');
    const dh = stateGradBuffers(ctx, dHN, B, H, 'gru-dh');
    const dh0 = backwardSteps(ctx, backward, groups, dims, reverse, dh.first, dh.buffers, (dhIn, dhOut) => ({
      w_hh: sW, dout: dOut ?? unused, dh_in: dhIn, dh_out: dhOut, dgates_x: dGatesX, dgates_h: dGatesH, saved: sGates,
      lengths: sLengths ?? unused,
    }));
    const hPrev = previousStates(sOut, sH0, T, B, H, reverse, sLengths);
    finishRecurrentBackward(sink, { dGatesX, dGatesH, hPrev, dh: dh0, ...dims, G: 3 });
    dh.dispose();
    for (const t of [dGatesX, dGatesH, hPrev]) t.dispose();
  });
  gates.dispose(); // the tape keeps its own view when it recorded the node
  if (h0 !== args.h0) h0.dispose();
  return { output, hN };
}
