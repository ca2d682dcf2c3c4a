// Fused softmax + cross-entropy (shaders/cross_entropy.wgsl) with PyTorch's reduction, ignoreIndex and
// labelSmoothing, and its gradient: one dispatch forward for 'none' (two for 'mean' / 'sum': the rows, then one
// workgroup summing them) and one backward.
import crossEntropySource from '../../shaders/cross_entropy.wgsl?raw';
import common from '../../shaders/common.wgsl?raw';
import { withSnippets } from '../core/wgsl.js';
import type { Tensor } from '../core/tensor.js';
import { record } from '../core/autograd.js';
import { shapeString } from '../core/shape.js';
import { grid, rowGrid } from './grid.js';
import { checkReduction, type Reduction } from './loss_options.js';

const FILE = 'cross_entropy.wgsl';
const source = withSnippets(crossEntropySource, common);

export interface CrossEntropyOptions {
  /** 'mean' (default: over the rows whose target is not ignoreIndex), 'sum', or 'none' (a loss per row, [N]). */
  reduction?: Reduction;
  /** A target with this value contributes no loss and no gradient (default -100, as PyTorch). */
  ignoreIndex?: number;
  /** ε in [0, 1]: the target distribution becomes (1 - ε)·onehot + ε / C (default 0). */
  labelSmoothing?: number;
  /** The forward's kernel: a workgroup per row (GPUs) or a thread per row (the default on CPU-emulated adapters). */
  variant?: 'workgroup' | 'rowwise';
}

/**
 * Cross-entropy of logits [N, C] against int32 class targets (N of them, any shape), as PyTorch's
 * F.cross_entropy. Returns a scalar [] for 'mean' and 'sum', [N] for 'none' (0 where the target is ignored).
 */
export function crossEntropy(logits: Tensor, targets: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  if (logits.shape.length !== 2 || logits.dtype !== 'float32') {
    throw new RangeError(`crossEntropy: logits must be float32 [N, C], got ${shapeString(logits.shape)} ${logits.dtype}`);
  }
  const [N, C] = logits.shape;
  if (targets.dtype !== 'int32' || targets.numel !== N) {
    throw new RangeError(`crossEntropy: targets must be int32 [${N}] to match logits ${shapeString(logits.shape)}, got ${shapeString(targets.shape)} ${targets.dtype}`);
  }
  const reduction = checkReduction(opts.reduction, 'crossEntropy');
  const ignoreIndex = opts.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex) || ignoreIndex < -0x80000000 || ignoreIndex > 0x7fffffff) {
    throw new RangeError(`crossEntropy: ignoreIndex must be a 32-bit integer, got ${String(ignoreIndex)}`);
  }
  const smoothing = opts.labelSmoothing ?? 0;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing <= 1)) {
    throw new RangeError(`crossEntropy: labelSmoothing must be in [0, 1], got ${String(smoothing)}`);
  }
  if (opts.variant !== undefined && opts.variant !== 'workgroup' && opts.variant !== 'rowwise') {
    throw new RangeError(`crossEntropy: variant must be 'workgroup' or 'rowwise', got ${JSON.stringify(opts.variant)}`);
  }
  if (targets.cpuData) {
    targets.ctx.checkIds(targets.cpuData, (data) => { // kept for a captured step's replays
      let bad = -1;
      for (let i = 0; i < data.length; i++) {
        const t = data[i];
        if (t !== ignoreIndex && (t < 0 || t >= C)) { bad = i; break; }
      }
      if (bad >= 0) {
        throw new RangeError(`crossEntropy: target ${data[bad]} at index ${bad} is outside [0, ${C}) and is not ignoreIndex (${ignoreIndex})`);
      }
    });
  }
  const ctx = logits.ctx;
  const params = { N, C, ignore_index: ignoreIndex, label_smoothing: smoothing };
  const kernel = (entry: string, constants?: Record<string, number>) => ctx.kernel({ file: FILE, source, entry, constants });

  const rowLoss = ctx.empty([N], 'float32', 'ce-row-loss');
  const lse = ctx.empty([N], 'float32', 'ce-lse');
  const rowwise = opts.variant ? opts.variant === 'rowwise' : ctx.softwareAdapter;
  const forward = kernel(rowwise ? 'cross_entropy_forward_rowwise' : 'cross_entropy_forward');
  ctx.dispatch(forward, rowwise ? grid(ctx, N, forward) : rowGrid(ctx, N), { logits, targets, row_loss: rowLoss, lse }, params);
  if (reduction === 'none') {
    record('crossEntropy', [logits, null], [rowLoss], [logits, targets, lse], ([dLoss], sink, [sLogits, sTargets, sLse]) => {
      if (!sink.needs(0)) return;
      const dLogits = sink.write(0);
      const backward = kernel('cross_entropy_backward_rows', { ACCUMULATE: dLogits.accumulate ? 1 : 0 });
      ctx.dispatch(backward, grid(ctx, N * C, backward), { logits: sLogits, targets: sTargets, lse: sLse, dlogits: dLogits.grad, dloss: dLoss! }, params);
    });
    lse.dispose();
    return rowLoss;
  }

  const loss = ctx.empty([], 'float32', 'ce-loss');
  const count = ctx.empty([1], 'float32', 'ce-count');
  ctx.dispatch(kernel('cross_entropy_reduce', { MEAN: reduction === 'mean' ? 1 : 0 }), [1], { targets, loss, row_loss_in: rowLoss, count }, params);
  rowLoss.dispose();
  record('crossEntropy', [logits, null], [loss], [logits, targets, lse, count], ([dLoss], sink, [sLogits, sTargets, sLse, sCount]) => {
    if (!sink.needs(0)) return;
    const dLogits = sink.write(0);
    const backward = kernel('cross_entropy_backward', { ACCUMULATE: dLogits.accumulate ? 1 : 0 });
    const bindings = { logits: sLogits, targets: sTargets, lse: sLse, dlogits: dLogits.grad, dloss: dLoss!, count: sCount };
    ctx.dispatch(backward, grid(ctx, N * C, backward), bindings, params);
  });
  lse.dispose();
  count.dispose();
  return loss;
}
