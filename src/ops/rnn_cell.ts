// Fused Elman RNN over a sequence (shaders/rnn_cell.wgsl): one dispatch per step forward and backward.
import rnnSource from '../../shaders/rnn_cell.wgsl?raw';
import { record } from '../core/autograd.js';
import {
  type SequenceArgs, type SequenceResult, checkSequenceArgs, stepSlice, previousStates,
  finishRecurrentBackward, stateGradBuffers, cellSource, forwardSteps, backwardSteps,
} from './recurrence.js';

const FILE = 'rnn_cell.wgsl';
const source = cellSource(rnnSource);

export function rnnSequence(args: SequenceArgs, nonlinearity: 'tanh' | 'relu' = 'tanh'): SequenceResult {
  const { T, B, H } = checkSequenceArgs(args, 'rnn');
  const { xProj, wHH, bIH, bHH, reverse } = args;
  const ctx = xProj.ctx;
  const h0 = args.h0 ?? ctx.zeros([B, H], 'float32', 'h0');
  const hasBias = bIH !== null && bHH !== null;
  const constants = { RELU: nonlinearity === 'relu' ? 1 : 0, HAS_BIAS: hasBias ? 1 : 0 };
  const output = ctx.empty([T, B, H], 'float32', 'rnn-output');
  const forward = ctx.kernel({ file: FILE, source, entry: 'rnn_step_forward', constants });
  const groups = [Math.ceil((B * H) / forward.entry!.workgroupSize[0])];
  const unused = ctx.dummyBuffer();
  forwardSteps(ctx, forward, groups, { T, B, H }, reverse, { xproj: xProj, w_hh: wHH, b_ih: bIH ?? unused, b_hh: bHH ?? unused, h0, out: output });
  const hN = stepSlice(output, reverse ? 0 : T - 1, B, H);

  record('RNN', [xProj, wHH, bIH, bHH, args.h0], [output, hN], [output, h0, wHH], ([dOut, dHN], sink, [sOut, sH0, sW]) => {
    const hasDout = dOut !== null;
    const backward = ctx.kernel({ file: FILE, source, entry: 'rnn_step_backward', constants: { ...constants, HAS_DOUT: hasDout ? 1 : 0 } });
    const dpre = ctx.empty([T, B, H], 'float32', 'rnn-dpre');
    const dh = stateGradBuffers(ctx, dHN, B, H, 'rnn-dh');
    const dh0 = backwardSteps(ctx, backward, groups, { T, B, H }, reverse, dh.first, dh.buffers,
      (dhIn, dhOut) => ({ w_hh: sW, dout: dOut ?? unused, dh_in: dhIn, dh_out: dhOut, dpre, states: sOut }));
    const hPrev = previousStates(sOut, sH0, T, B, H, reverse);
    finishRecurrentBackward(sink, { dGatesX: dpre, dGatesH: dpre, hPrev, dh: dh0, T, B, H, G: 1 });
    dh.dispose();
    for (const t of [dpre, hPrev]) t.dispose();
  });
  if (h0 !== args.h0) h0.dispose(); // the tape keeps its own view
  return { output, hN };
}
