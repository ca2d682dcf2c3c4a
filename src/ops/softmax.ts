// Softmax and log-softmax over the last axis (shaders/softmax.wgsl), one dispatch forward and one backward.
import softmaxSource from '../../shaders/softmax.wgsl?raw';
import common from '../../shaders/common.wgsl?raw';
import { withSnippets } from '../core/wgsl.js';
import type { Tensor } from '../core/tensor.js';
import { record } from '../core/autograd.js';
import { shapeString } from '../core/shape.js';
import { grid, rowGrid } from './grid.js';

const FILE = 'softmax.wgsl';
const source = withSnippets(softmaxSource, common);

export interface SoftmaxOptions {
  /** A workgroup per row (GPUs) or a thread per row (the default on CPU-emulated adapters). */
  variant?: 'workgroup' | 'rowwise';
}

function rowSoftmax(x: Tensor, log: boolean, opts: SoftmaxOptions): Tensor {
  const what = log ? 'logSoftmax' : 'softmax';
  if (x.dtype !== 'float32') throw new TypeError(`${what}: expected a float32 tensor, got ${x.dtype}`);
  if (x.shape.length === 0) throw new RangeError(`${what}: needs at least one axis, got shape ${shapeString(x.shape)}`);
  if (opts.variant !== undefined && opts.variant !== 'workgroup' && opts.variant !== 'rowwise') {
    throw new RangeError(`${what}: variant must be 'workgroup' or 'rowwise', got ${JSON.stringify(opts.variant)}`);
  }
  const ctx = x.ctx;
  const C = x.shape[x.shape.length - 1];
  const R = C === 0 ? 0 : x.numel / C;
  const params = { R, C };
  const rowwise = opts.variant ? opts.variant === 'rowwise' : ctx.softwareAdapter;
  const suffix = rowwise ? '_rowwise' : '';
  const LOG = log ? 1 : 0;
  const forward = ctx.kernel({ file: FILE, source, entry: `softmax_forward${suffix}`, constants: { LOG } });
  const groups = rowwise ? grid(ctx, R, forward) : rowGrid(ctx, R);
  const y = ctx.empty(x.shape, 'float32', what);
  ctx.dispatch(forward, groups, { x, y }, params);
  record(what, [x], [y], [y], ([dy], sink, [ySaved]) => {
    if (!sink.needs(0)) return;
    const dx = sink.write(0);
    const backward = ctx.kernel({ file: FILE, source, entry: `softmax_backward${suffix}`, constants: { LOG, ACCUMULATE: dx.accumulate ? 1 : 0 } });
    ctx.dispatch(backward, groups, { y_saved: ySaved, dy: dy!, dx: dx.grad }, params);
  });
  return y;
}

/** Softmax over the last axis (torch.softmax(x, dim=-1)). */
export function softmax(x: Tensor, opts: SoftmaxOptions = {}): Tensor {
  return rowSoftmax(x, false, opts);
}

/** Log-softmax over the last axis (torch.log_softmax(x, dim=-1)), computed as x - max - log Σ exp(x - max). */
export function logSoftmax(x: Tensor, opts: SoftmaxOptions = {}): Tensor {
  return rowSoftmax(x, true, opts);
}
