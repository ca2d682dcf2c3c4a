// Elementwise ops (shaders/elementwise.wgsl): forward and backward registered with the tape side by side.
import type { Context } from '../core/context.js';
import type { Bindings } from '../core/bindings.js';
import { assertSameShape, type Tensor } from '../core/tensor.js';
import { record } from '../core/autograd.js';
import { accumulateInto, elementwiseKernel, fillBuffer } from '../core/fill.js';
import { grid } from './grid.js';

export { accumulateInto };
export type Activation = 'tanh' | 'sigmoid' | 'relu';
const ACTIVATION_OP: Record<Activation, number> = { tanh: 0, sigmoid: 1, relu: 2 };
/** Entry points whose uniform is ScaledParams { n, alpha }; the others take SizeParams { n }. */
const SCALED = new Set(['fill', 'accumulate', 'scale_forward']);

function run(ctx: Context, entry: string, n: number, bindings: Bindings, alpha = 0, constants?: Record<string, number>): void {
  const kernel = ctx.kernel(elementwiseKernel(entry, constants));
  ctx.dispatch(kernel, grid(ctx, n, kernel), bindings, SCALED.has(entry) ? { n, alpha } : { n });
}

function assertFloat(t: Tensor, op: string): void {
  if (t.dtype !== 'float32') throw new TypeError(`${op}: expected a float32 tensor, got ${t.dtype}`);
}

export function fill(t: Tensor, value: number): void {
  fillBuffer(t.ctx, t.buffer, value, t.numel);
}

export function add(a: Tensor, b: Tensor): Tensor {
  assertFloat(a, 'add');
  assertFloat(b, 'add');
  assertSameShape(a, b, 'add');
  const out = a.ctx.empty(a.shape, 'float32', 'add');
  run(a.ctx, 'add_forward', a.numel, { out, a, b });
  record('add', [a, b], [out], [], ([dOut], sink) => {
    if (sink.needs(0)) accumulateInto(sink.add(0), dOut!);
    if (sink.needs(1)) accumulateInto(sink.add(1), dOut!);
  });
  return out;
}

export function mul(a: Tensor, b: Tensor): Tensor {
  assertFloat(a, 'mul');
  assertFloat(b, 'mul');
  assertSameShape(a, b, 'mul');
  const out = a.ctx.empty(a.shape, 'float32', 'mul');
  run(a.ctx, 'mul_forward', a.numel, { out, a, b });
  record('mul', [a, b], [out], [a, b], ([dOut], sink, [savedA, savedB]) => {
    if (sink.needs(0)) run(a.ctx, 'mul_backward', a.numel, { out: sink.add(0), a: dOut!, b: savedB });
    if (sink.needs(1)) run(a.ctx, 'mul_backward', a.numel, { out: sink.add(1), a: dOut!, b: savedA });
  });
  return out;
}

/** out = alpha * x */
export function scale(x: Tensor, alpha: number): Tensor {
  assertFloat(x, 'scale');
  const out = x.ctx.empty(x.shape, 'float32', 'scale');
  run(x.ctx, 'scale_forward', x.numel, { out, a: x }, alpha);
  record('scale', [x], [out], [], ([dOut], sink) => {
    if (sink.needs(0)) accumulateInto(sink.add(0), dOut!, alpha);
  });
  return out;
}

function activation(x: Tensor, kind: Activation): Tensor {
  assertFloat(x, kind);
  const constants = { OP: ACTIVATION_OP[kind] };
  const out = x.ctx.empty(x.shape, 'float32', kind);
  run(x.ctx, 'activation_forward', x.numel, { out, a: x }, 0, constants);
  // Backward needs only the output: tanh' = 1 - y², sigmoid' = y(1 - y), relu' = [y > 0].
  record(kind, [x], [out], [out], ([dOut], sink, [savedOut]) => {
    if (sink.needs(0)) run(x.ctx, 'activation_backward', x.numel, { out: sink.add(0), a: dOut!, b: savedOut }, 0, constants);
  });
  return out;
}

export const tanh = (x: Tensor): Tensor => activation(x, 'tanh');
export const sigmoid = (x: Tensor): Tensor => activation(x, 'sigmoid');
export const relu = (x: Tensor): Tensor => activation(x, 'relu');
