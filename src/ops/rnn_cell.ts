// Fused Elman RNN over a sequence (shaders/rnn_cell.wgsl): one dispatch per step forward and backward.
import source from '../../shaders/rnn_cell.wgsl?raw';
import { record } from '../core/autograd.js';
import {
  type SequenceArgs, type SequenceResult, checkSequenceArgs, stepOrder, previousStep, finalState, previousStates,
  finishRecurrentBackward, stateGradPingPong, lengthsBinding,
} from './recurrence.js';

const FILE = 'rnn_cell.wgsl';
const WG = 64;

export function rnnSequence(args: SequenceArgs, nonlinearity: 'tanh' | 'relu' = 'tanh'): SequenceResult {
  const { T, B, H } = checkSequenceArgs(args, 1, 'RNN');
  const { xProj, wHH, bIH, bHH, reverse } = args;
  const ctx = xProj.ctx;
  const h0 = args.h0 ?? ctx.zeros([B, H], 'float32', 'h0');
  const hasBias = bIH !== null && bHH !== null;
  const lengths = args.lengths ?? null;
  const lens = lengthsBinding(ctx, lengths);
  const constants = { RELU: nonlinearity === 'relu' ? 1 : 0, HAS_BIAS: hasBias ? 1 : 0, HAS_LENGTHS: lens.HAS_LENGTHS };
  const groups = [Math.ceil((B * H) / WG)];
  const output = ctx.empty([T, B, H], 'float32', 'rnn-output');
  const forward = ctx.kernel({ file: FILE, source, entry: 'rnn_step_forward', constants });
  const unused = ctx.dummyBuffer();
  for (const t of stepOrder(T, reverse)) {
    ctx.dispatch(forward, groups,
      [xProj, wHH, bIH ?? unused, bHH ?? unused, h0, output, null, null, null, null, null, lens.binding],
      [T, B, H, t, previousStep(t, T, reverse)]);
  }
  const hN = finalState(output, reverse ? 0 : T - 1, B, H, lengths, reverse);

  const saved = lengths ? [output, h0, wHH, lengths] : [output, h0, wHH];
  record('RNN', [xProj, wHH, bIH, bHH, args.h0], [output, hN], saved, ([dOut, dHN], sink, [sOut, sH0, sW, sLengths]) => {
    const hasDout = dOut !== null;
    const backward = ctx.kernel({ file: FILE, source, entry: 'rnn_step_backward', constants: { ...constants, HAS_DOUT: hasDout ? 1 : 0 } });
    const dpre = ctx.empty([T, B, H], 'float32', 'rnn-dpre');
    const dh = stateGradPingPong(ctx, dHN, B, H, 'rnn-dh');
    let dhIn = dh.first;
    for (const t of stepOrder(T, !reverse)) {
      const dhOut = dh.other(dhIn);
      ctx.dispatch(backward, groups,
        [null, sW, null, null, null, null, dOut ?? unused, dhIn, dhOut, dpre, sOut, sLengths ?? unused],
        [T, B, H, t, previousStep(t, T, reverse)]);
      dhIn = dhOut;
    }
    const hPrev = previousStates(sOut, sH0, T, B, H, reverse, sLengths);
    finishRecurrentBackward(sink, { dGatesX: dpre, dGatesH: dpre, hPrev, dh: dhIn, T, B, H, G: 1 });
    dh.dispose();
    for (const t of [dpre, hPrev]) t.dispose();
  });
  if (h0 !== args.h0) h0.dispose(); // the tape keeps its own view
  return { output, hN };
}
