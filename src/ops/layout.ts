// Layout ops (shaders/layout.wgsl): slices and concatenation as strided block copies, and transpose of the
// first two axes; each gradient is the reverse copy, accumulated.
import layoutSource from '../../shaders/layout.wgsl?raw';
import common from '../../shaders/common.wgsl?raw';
import { withSnippets } from '../core/wgsl.js';
import type { Tensor } from '../core/tensor.js';
import { record } from '../core/autograd.js';
import { shapeString } from '../core/shape.js';
import { reorderedIds } from '../core/capture-ids.js';
import { grid } from './grid.js';

const FILE = 'layout.wgsl';
const source = withSnippets(layoutSource, common);

export interface Block {
  rows: number;
  cols: number;
  srcStride: number;
  srcOffset: number;
  dstStride: number;
  dstOffset: number;
}

/** dst[block] (+)= src[block], no tape. */
export function copyBlockInto(dst: Tensor, src: Tensor, b: Block, accumulate = false): void {
  const ctx = dst.ctx;
  const kernel = ctx.kernel({ file: FILE, source, entry: 'copy_block', constants: { ACCUMULATE: accumulate ? 1 : 0 } });
  ctx.dispatch(kernel, grid(ctx, b.rows * b.cols, kernel), { src, dst }, {
    rows: b.rows, cols: b.cols, src_stride: b.srcStride, src_offset: b.srcOffset, dst_stride: b.dstStride, dst_offset: b.dstOffset,
  });
}

/** x.narrow(0, start, length) as a copy: rows [start, start + length) of the first axis. */
export function narrow0(x: Tensor, start: number, length: number): Tensor {
  const rowSize = x.numel / x.shape[0];
  if (start < 0 || length < 0 || start + length > x.shape[0]) {
    throw new RangeError(`narrow: [${start}, ${start + length}) is outside the first axis of ${shapeString(x.shape)}`);
  }
  const out = x.ctx.empty([length, ...x.shape.slice(1)], x.dtype, 'narrow');
  const block = { rows: 1, cols: length * rowSize, srcStride: 0, srcOffset: start * rowSize, dstStride: 0, dstOffset: 0 };
  copyBlockInto(out, x, block);
  record('narrow', [x], [out], [], ([dOut], sink) => {
    if (sink.needs(0)) copyBlockInto(sink.add(0), dOut!, { ...block, srcOffset: 0, dstOffset: start * rowSize }, true);
  });
  return out;
}

/**
 * Concatenation along `axis` (torch.cat). All tensors share every other dimension.
 */
export function cat(tensors: readonly Tensor[], axis: number): Tensor {
  if (tensors.length === 0) throw new RangeError('cat: no tensors');
  const first = tensors[0];
  const rank = first.shape.length;
  const ax = axis < 0 ? axis + rank : axis;
  for (const t of tensors) {
    const ok = t.shape.length === rank && t.shape.every((d, i) => i === ax || d === first.shape[i]) && t.dtype === first.dtype;
    if (!ok) throw new RangeError(`cat: shapes ${tensors.map((x) => shapeString(x.shape)).join(', ')} differ outside axis ${axis}`);
  }
  const outer = first.shape.slice(0, ax).reduce((a, b) => a * b, 1);
  const inner = first.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const total = tensors.reduce((s, t) => s + t.shape[ax], 0);
  const outShape = [...first.shape];
  outShape[ax] = total;
  const out = first.ctx.empty(outShape, first.dtype, 'cat');
  const blocks: Block[] = [];
  let offset = 0;
  for (const t of tensors) {
    const cols = t.shape[ax] * inner;
    const block = { rows: outer, cols, srcStride: cols, srcOffset: 0, dstStride: total * inner, dstOffset: offset };
    copyBlockInto(out, t, block);
    blocks.push(block);
    offset += cols;
  }
  record('cat', tensors, [out], [], ([dOut], sink) => {
    blocks.forEach((b, i) => {
      if (sink.needs(i)) copyBlockInto(sink.add(i), dOut!, { ...b, srcStride: b.dstStride, srcOffset: b.dstOffset, dstStride: b.srcStride, dstOffset: 0 }, true);
    });
  });
  return out;
}

/** [A, B, ...rest] → [B, A, ...rest] (batchFirst ↔ time-major). Works for int32 ids too (no gradient). */
export function transpose01(x: Tensor): Tensor {
  if (x.shape.length < 2) throw new RangeError(`transpose01: need at least 2 dimensions, got ${shapeString(x.shape)}`);
  const [A, B] = x.shape;
  const C = x.numel / Math.max(1, A * B);
  const out = x.ctx.empty([B, A, ...x.shape.slice(2)], x.dtype, 'transpose');
  const ctx = x.ctx;
  const forward = ctx.kernel({ file: FILE, source, entry: 'transpose01', constants: { ACCUMULATE: 0 } });
  ctx.dispatch(forward, grid(ctx, x.numel, forward), { src: x, dst: out }, { A, B, C });
  if (x.cpuData) {
    // Remembered as a reordering of x's ids, so a captured step checks its replays' ids (core/capture-ids.ts).
    out.cpuData = reorderedIds(x.cpuData, (src) => {
      const ids = new Int32Array(src.length);
      for (let a = 0; a < A; a++) for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) ids[(b * A + a) * C + c] = src[(a * B + b) * C + c];
      return ids;
    });
  }
  record('transpose01', [x], [out], [], ([dOut], sink) => {
    if (!sink.needs(0)) return;
    const dx = sink.add(0);
    const backward = ctx.kernel({ file: FILE, source, entry: 'transpose01', constants: { ACCUMULATE: 1 } });
    ctx.dispatch(backward, grid(ctx, x.numel, backward), { src: dOut!, dst: dx }, { A: B, B: A, C });
  });
  return out;
}
