// Fused softmax + cross-entropy (shaders/cross_entropy.wgsl), mean over rows, with its gradient.
import crossEntropySource from '../../shaders/cross_entropy.wgsl?raw';
import common from '../../shaders/common.wgsl?raw';
import { withSnippets } from '../core/wgsl.js';
import type { Tensor } from '../core/tensor.js';
import { record } from '../core/autograd.js';
import { shapeString } from '../core/shape.js';
import { grid, rowGrid } from './grid.js';

const FILE = 'cross_entropy.wgsl';
const source = withSnippets(crossEntropySource, common);

/**
 * Mean cross-entropy of logits [N, C] against int32 targets [N] (PyTorch's F.cross_entropy). Returns [] scalar.
 * The forward runs a workgroup per row on GPUs and a thread per row on CPU-emulated adapters (`variant`
 * overrides the choice).
 */
export function crossEntropy(logits: Tensor, targets: Tensor, opts: { variant?: 'workgroup' | 'rowwise' } = {}): Tensor {
  if (logits.shape.length !== 2 || logits.dtype !== 'float32') {
    throw new RangeError(`crossEntropy: logits must be float32 [N, C], got ${shapeString(logits.shape)} ${logits.dtype}`);
  }
  const [N, C] = logits.shape;
  if (targets.dtype !== 'int32' || targets.numel !== N) {
    throw new RangeError(`crossEntropy: targets must be int32 [${N}] to match logits ${shapeString(logits.shape)}, got ${shapeString(targets.shape)} ${targets.dtype}`);
  }
  if (targets.cpuData) {
    const bad = targets.cpuData.findIndex((t) => t < 0 || t >= C);
    if (bad >= 0) throw new RangeError(`crossEntropy: target ${targets.cpuData[bad]} at index ${bad} is outside [0, ${C})`);
  }
  const ctx = logits.ctx;
  const rowLoss = ctx.empty([N], 'float32', 'ce-row-loss');
  const lse = ctx.empty([N], 'float32', 'ce-lse');
  const loss = ctx.empty([], 'float32', 'ce-loss');
  const rowwise = opts.variant ? opts.variant === 'rowwise' : ctx.softwareAdapter;
  const forward = ctx.kernel({ file: FILE, source, entry: rowwise ? 'cross_entropy_forward_rowwise' : 'cross_entropy_forward' });
  ctx.dispatch(forward, rowwise ? grid(ctx, N, forward) : rowGrid(ctx, N), { logits, targets, row_loss: rowLoss, lse }, { N, C });
  ctx.dispatch(ctx.kernel({ file: FILE, source, entry: 'cross_entropy_mean' }), [1], { loss, row_loss_in: rowLoss }, { N, C });
  rowLoss.dispose();
  record('crossEntropy', [logits, null], [loss], [logits, targets, lse], ([dLoss], sink, [sLogits, sTargets, sLse]) => {
    if (!sink.needs(0)) return;
    const dLogits = sink.write(0);
    const backward = ctx.kernel({ file: FILE, source, entry: 'cross_entropy_backward', constants: { ACCUMULATE: dLogits.accumulate ? 1 : 0 } });
    ctx.dispatch(backward, grid(ctx, N * C, backward), { logits: sLogits, targets: sTargets, lse: sLse, dlogits: dLogits.grad, dloss: dLoss! }, { N, C });
  });
  lse.dispose();
  return loss;
}
