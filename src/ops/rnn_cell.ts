// Fused Elman RNN over a sequence (shaders/rnn_cell.wgsl): one dispatch per step forward and backward.
import rnnSource from '../../shaders/rnn_cell.wgsl?raw';
import { record } from '../core/autograd.js';
import {
  type SequenceArgs, type SequenceResult, checkSequenceArgs, finalState, previousStates, lengthsBinding,
  finishRecurrentBackward, stateGradBuffers, cellSource, forwardSteps, backwardSteps,
} from './recurrence.js';

const FILE = 'rnn_cell.wgsl';
const source = cellSource(rnnSource);

export function rnnSequence(args: SequenceArgs, nonlinearity: 'tanh' | 'relu' = 'tanh'): SequenceResult {
  const dims = checkSequenceArgs(args, 'rnn');
  const { T, B, H } = dims;
  const { xProj, wHH, bIH, bHH, reverse } = args;
  const ctx = xProj.ctx;
  const h0 = args.h0 ?? ctx.zeros([B, H], 'float32', 'h0');
  const hasBias = bIH !== null && bHH !== null;
  const lengths = args.lengths ?? null;
  const lens = lengthsBinding(ctx, lengths);
  const constants = { RELU: nonlinearity === 'relu' ? 1 : 0, HAS_BIAS: hasBias ? 1 : 0, HAS_LENGTHS: lens.HAS_LENGTHS };
  const output = ctx.empty([T, B, H], 'float32', 'rnn-output');
  const forward = ctx.kernel({ file: FILE, source, entry: 'rnn_step_forward', constants });
  const groups = [Math.ceil((B * H) / forward.entry!.workgroupSize[0])];
  const unused = ctx.dummyBuffer();
  forwardSteps(ctx, forward, groups, dims, reverse,
    { xproj: xProj, w_hh: wHH, b_ih: bIH ?? unused, b_hh: bHH ?? unused, h0, out: output, lengths: lens.binding });
  const hN = finalState(output, reverse ? 0 : T - 1, B, H, lengths, reverse);

  const saved = lengths ? [output, h0, wHH, lengths] : [output, h0, wHH];
  record('RNN', [xProj, wHH, bIH, bHH, args.h0], [output, hN], saved, ([dOut, dHN], sink, [sOut, sH0, sW, sLengths]) => {
    const hasDout = dOut !== null;
    const backward = ctx.kernel({ file: FILE, source, entry: 'rnn_step_backward', constants: { ...constants, HAS_DOUT: hasDout ? 1 : 0 } });
    const dpre = ctx.empty([T, B, H], 'float32', 'rnn-dpre');
    const dh = stateGradBuffers(ctx, dHN, B, H, 'rnn-dh');
    const dh0 = backwardSteps(ctx, backward, groups, dims, reverse, dh.first, dh.buffers, (dhIn, dhOut) => ({
      w_hh: sW, dout: dOut ?? unused, dh_in: dhIn, dh_out: dhOut, dpre, states: sOut, lengths: sLengths ?? unused,
    }));
    const hPrev = previousStates(sOut, sH0, T, B, H, reverse, sLengths);
    finishRecurrentBackward(sink, { dGatesX: dpre, dGatesH: dpre, hPrev, dh: dh0, ...dims, G: 1 });
    dh.dispose();
    for (const t of [dpre, hPrev]) t.dispose();
  });
  if (h0 !== args.h0) h0.dispose(); // the tape keeps its own view
  return { output, hN };
}
