// The two elementwise kernels the core itself needs: zero/NaN fills (zeros, empty's debug poison, fresh
// gradients) and gradient accumulation (the tape adding a gradient into an existing one). ops/elementwise.ts
// builds the public ops on the same file.
import elementwise from '../../shaders/elementwise.wgsl?raw';
import common from '../../shaders/common.wgsl?raw';
import activation from '../../shaders/activation.wgsl?raw';
import type { Context } from './context.js';
import type { Tensor } from './tensor.js';
import type { KernelSpec } from './kernel.js';
import { grid } from './grid.js';
import { withSnippets } from './wgsl.js';

/** elementwise.wgsl with its shared snippets, as every kernel of that file is made. */
export const ELEMENTWISE_SOURCE = withSnippets(elementwise, common, activation);

export function elementwiseKernel(entry: string, constants?: Record<string, number>): KernelSpec {
  return { file: 'elementwise.wgsl', source: ELEMENTWISE_SOURCE, entry, constants };
}

/** Fills `count` 32-bit words of a buffer with a float value (a kernel, so it stays in the open pass). */
export function fillBuffer(ctx: Context, buffer: GPUBuffer, value: number, count: number): void {
  const kernel = ctx.kernel(elementwiseKernel('fill'));
  ctx.dispatch(kernel, grid(ctx, count, kernel), { out: buffer }, { n: count, alpha: value });
}

/** dst += alpha * src (element counts must match). */
export function accumulateInto(dst: Tensor, src: Tensor, alpha = 1): void {
  if (dst.numel !== src.numel) throw new RangeError(`accumulate: ${dst} and ${src} differ in size`);
  const ctx = dst.ctx;
  const kernel = ctx.kernel(elementwiseKernel('accumulate'));
  ctx.dispatch(kernel, grid(ctx, dst.numel, kernel), { out: dst, a: src }, { n: dst.numel, alpha });
}
