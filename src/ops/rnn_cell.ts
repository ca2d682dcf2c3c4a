// Fused Elman RNN over a sequence (shaders/rnn_cell.wgsl): one dispatch per step forward and backward, for one
// direction or both directions of a bidirectional layer.
import rnnSource from '../../shaders/rnn_cell.wgsl?raw';
import { record } from '../core/autograd.js';
import {
  type SequenceArgs, type SequenceResult, type LayerArgs, type LayerResult, CellInput, asLayer, checkLayerArgs, tapeInputs,
  recurrentWeights, finalStates, previousStates, lengthsBinding, finishDirectionBackward, stateGradBuffers, cellSource,
  forwardSteps, backwardSteps, finalGradAt, passStackGrads, foldedCellSource, stepForward,
} from './recurrence.js';

const FILE = 'rnn_cell.wgsl';
const source = cellSource(rnnSource);
const sources = { one: source, both: foldedCellSource(rnnSource) };

export function rnnSequence(args: SequenceArgs, nonlinearity: 'tanh' | 'relu' = 'tanh'): SequenceResult {
  return rnnLayer(asLayer(args), nonlinearity);
}

export function rnnLayer(args: LayerArgs, nonlinearity: 'tanh' | 'relu' = 'tanh'): LayerResult {
  const checked = checkLayerArgs(args, 'rnn');
  const { T, B, H, D } = checked;
  const { dirs, reverse } = args;
  const ctx = dirs[0].xProj.ctx;
  const weights = recurrentWeights(ctx, args, checked, 1);
  const dims = weights.dims;
  const h0 = args.h0 ?? ctx.zeros([D, B, H], 'float32', 'h0');
  const hasBias = dirs[0].bIH !== null && dirs[0].bHH !== null;
  const lengths = args.lengths ?? null;
  const lens = lengthsBinding(ctx, lengths);
  const constants = { RELU: nonlinearity === 'relu' ? 1 : 0, HAS_BIAS: hasBias ? 1 : 0, HAS_LENGTHS: lens.HAS_LENGTHS };
  const output = ctx.empty([T, B, D * H], 'float32', 'rnn-output');
  const step = stepForward(ctx, FILE, sources, weights, args.stack, false);
  const forward = ctx.kernel({ file: step.file, source: step.source, entry: 'rnn_step_forward', constants });
  const groups = [Math.ceil((B * H) / forward.entry!.workgroupSize[0])];
  const xprojRev = (dirs[1] ?? dirs[0]).xProj;
  forwardSteps(ctx, forward, groups, dims, reverse,
    { xproj: dirs[0].xProj, xproj_rev: xprojRev, w_hh: weights.wHH, ...step.bindings, h0, out: output, lengths: lens.binding });
  const { hN } = step.finals ?? finalStates(output, null, dims, reverse, lengths, args.stack);

  const saved = [output, h0, weights.wHH, ...(lengths ? [lengths] : [])];
  record('RNN', tapeInputs(args), [output, hN], saved, ([dOut, dHN], sink, [sOut, sH0, sW, sLengths]) => {
    const hasDout = dOut !== null;
    const backward = ctx.kernel({ file: FILE, source, entry: 'rnn_step_backward', constants: { ...constants, HAS_DOUT: hasDout ? 1 : 0 } });
    const unused = ctx.dummyBuffer();
    const dpre = dirs.map(() => ctx.empty([T, B, H], 'float32', 'rnn-dpre'));
    const dpreRev = dpre[1] ?? ctx.empty([1], 'float32', 'rnn-dpre-unused'); // written by no thread when D = 1
    const dh = stateGradBuffers(ctx, dHN, D * B * H, 'rnn-dh');
    const dh0 = backwardSteps(ctx, backward, groups, dims, reverse, dh.first, dh.buffers, (dhIn, dhOut) => ({
      w_hh: sW, dout: dOut ?? unused, dh_in: dhIn, dh_out: dhOut, dpre: dpre[0], dpre_rev: dpreRev, states: sOut,
      lengths: sLengths ?? unused,
    }), undefined, dHN ? finalGradAt(args, B, H) : 0); // dh_N read in place (this op's rows of a stack)
    dirs.forEach((_, d) => {
      const rev = reverse || d === 1;
      const hPrev = previousStates(sOut, sH0, d * B * H, dims, H, d, rev, sLengths);
      finishDirectionBackward(sink, d, { dGatesX: dpre[d], dGatesH: dpre[d], hPrev, ...dims, G: 1 });
      hPrev.dispose();
    });
    if (sink.needs(CellInput.H0)) sink.pass(CellInput.H0, dh0);
    passStackGrads(sink, D, dHN, null);
    dh.dispose();
    for (const t of [...dpre, dpreRev]) t.dispose();
  });
  // The tape keeps its own views.
  if (h0 !== args.h0) h0.dispose();
  weights.packed?.dispose();
  return { output, hN };
}
