// Fused GRU over a sequence (shaders/gru_cell.wgsl): one dispatch per step forward and backward.
import source from '../../shaders/gru_cell.wgsl?raw';
import { record, needsGrad } from '../core/autograd.js';
import {
  type SequenceArgs, type SequenceResult, checkSequenceArgs, stepOrder, previousStep, finalState, previousStates,
  finishRecurrentBackward, stateGradPingPong, lengthsBinding,
} from './recurrence.js';

const FILE = 'gru_cell.wgsl';
const WG = 64;

export function gruSequence(args: SequenceArgs): SequenceResult {
  const { T, B, H } = checkSequenceArgs(args, 3, 'GRU');
  const { xProj, wHH, bIH, bHH, reverse } = args;
  const ctx = xProj.ctx;
  const h0 = args.h0 ?? ctx.zeros([B, H], 'float32', 'h0');
  const hasBias = bIH !== null && bHH !== null;
  const lengths = args.lengths ?? null;
  const lens = lengthsBinding(ctx, lengths);
  // Without a tape node nothing reads the saved gates: the kernel skips them and a 1-element stand-in is bound
  // (not the shared dummy buffer, which may already be bound read-only in the same dispatch for the biases).
  const save = needsGrad(xProj, wHH, bIH, bHH, h0);
  const groups = [Math.ceil((B * H) / WG)];
  const output = ctx.empty([T, B, H], 'float32', 'gru-output');
  const gates = ctx.empty(save ? [T, B, 5 * H] : [1], 'float32', 'gru-gates'); // r, z, n, hn, h per unit
  const forward = ctx.kernel({
    file: FILE, source, entry: 'gru_step_forward', constants: { HAS_BIAS: hasBias ? 1 : 0, SAVE: save ? 1 : 0, HAS_LENGTHS: lens.HAS_LENGTHS },
  });
  const unused = ctx.dummyBuffer();
  for (const t of stepOrder(T, reverse)) {
    ctx.dispatch(forward, groups,
      [xProj, wHH, bIH ?? unused, bHH ?? unused, h0, output, gates, null, null, null, null, null, lens.binding],
      [T, B, H, t, previousStep(t, T, reverse)]);
  }
  const hN = finalState(output, reverse ? 0 : T - 1, B, H, lengths, reverse);

  const saved = lengths ? [output, gates, h0, wHH, lengths] : [output, gates, h0, wHH];
  record('GRU', [xProj, wHH, bIH, bHH, args.h0], [output, hN], saved, ([dOut, dHN], sink, [sOut, sGates, sH0, sW, sLengths]) => {
    const backward = ctx.kernel({
      file: FILE, source, entry: 'gru_step_backward', constants: { HAS_DOUT: dOut ? 1 : 0, HAS_LENGTHS: lens.HAS_LENGTHS },
    });
    const dGatesX = ctx.empty([T, B, 3 * H], 'float32', 'gru-dgates-x');
    const dGatesH = ctx.empty([T, B, 3 * H], 'float32', 'gru-dgates-h');
    const dh = stateGradPingPong(ctx, dHN, B, H, 'gru-dh');
    let dhIn = dh.first;
    for (const t of stepOrder(T, !reverse)) {
      const dhOut = dh.other(dhIn);
      ctx.dispatch(backward, groups,
        [null, sW, null, null, null, null, null, dOut ?? unused, dhIn, dhOut, dGatesX, dGatesH, sLengths ?? unused, sGates],
        [T, B, H, t, previousStep(t, T, reverse)]);
      dhIn = dhOut;
    }
    const hPrev = previousStates(sOut, sH0, T, B, H, reverse, sLengths);
    finishRecurrentBackward(sink, { dGatesX, dGatesH, hPrev, dh: dhIn, T, B, H, G: 3 });
    dh.dispose();
    for (const t of [dGatesX, dGatesH, hPrev]) t.dispose();
  });
  gates.dispose(); // the tape keeps its own view when it recorded the node
  if (h0 !== args.h0) h0.dispose();
  return { output, hN };
}
