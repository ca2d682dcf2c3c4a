// Elementwise ops (shaders/elementwise.wgsl): forward and backward registered with the tape side by side.
import source from '../../shaders/elementwise.wgsl?raw';
import { f32bits, setFillImpl, type Context, type Binding } from '../core/context.js';
import { Tensor, assertSameShape } from '../core/tensor.js';
import { record, setAccumulateImpl } from '../core/autograd.js';
import { grid } from './grid.js';

const FILE = 'elementwise.wgsl';
export type Activation = 'tanh' | 'sigmoid' | 'relu';
const ACTIVATION_OP: Record<Activation, number> = { tanh: 0, sigmoid: 1, relu: 2 };

function run(ctx: Context, entry: string, n: number, bindings: Binding[], alpha = 0, constants?: Record<string, number>): void {
  const kernel = ctx.kernel({ file: FILE, source, entry, constants });
  ctx.dispatch(kernel, grid(ctx, n), bindings, [n, f32bits(alpha)]);
}

function assertFloat(t: Tensor, op: string): void {
  if (t.dtype !== 'float32') throw new TypeError(`${op}: expected a float32 tensor, got ${t.dtype}`);
}

/** dst += alpha * src (gradient accumulation). */
export function accumulateInto(dst: Tensor, src: Tensor, alpha = 1): void {
  if (dst.numel !== src.numel) throw new RangeError(`accumulate: ${dst} and ${src} differ in size`);
  run(dst.ctx, 'accumulate', dst.numel, [dst, src], alpha);
}

export function fill(t: Tensor, value: number): void {
  t.ctx.fillBuffer(t.buffer, value, t.numel);
}

setFillImpl((ctx, buffer, value, count) => run(ctx, 'fill', count, [buffer], value));
setAccumulateImpl((_ctx, dst, src) => accumulateInto(dst, src));

export function add(a: Tensor, b: Tensor): Tensor {
  assertFloat(a, 'add');
  assertFloat(b, 'add');
  assertSameShape(a, b, 'add');
  const out = a.ctx.empty(a.shape, 'float32', 'add');
  run(a.ctx, 'add_forward', a.numel, [out, a, b]);
  record('add', [a, b], [out], [], ([dOut], sink) => {
    const da = sink.gradOf(0);
    const db = sink.gradOf(1);
    if (da) accumulateInto(da, dOut!);
    if (db) accumulateInto(db, dOut!);
  });
  return out;
}

export function mul(a: Tensor, b: Tensor): Tensor {
  assertFloat(a, 'mul');
  assertFloat(b, 'mul');
  assertSameShape(a, b, 'mul');
  const out = a.ctx.empty(a.shape, 'float32', 'mul');
  run(a.ctx, 'mul_forward', a.numel, [out, a, b]);
  record('mul', [a, b], [out], [a, b], ([dOut], sink, [savedA, savedB]) => {
    const da = sink.gradOf(0);
    const db = sink.gradOf(1);
    if (da) run(a.ctx, 'mul_backward', a.numel, [da, dOut!, savedB]);
    if (db) run(a.ctx, 'mul_backward', a.numel, [db, dOut!, savedA]);
  });
  return out;
}

/** out = alpha * x */
export function scale(x: Tensor, alpha: number): Tensor {
  assertFloat(x, 'scale');
  const out = x.ctx.empty(x.shape, 'float32', 'scale');
  run(x.ctx, 'scale_forward', x.numel, [out, x], alpha);
  record('scale', [x], [out], [], ([dOut], sink) => {
    const dx = sink.gradOf(0);
    if (dx) accumulateInto(dx, dOut!, alpha);
  });
  return out;
}

function activation(x: Tensor, kind: Activation): Tensor {
  assertFloat(x, kind);
  const constants = { OP: ACTIVATION_OP[kind] };
  const out = x.ctx.empty(x.shape, 'float32', kind);
  run(x.ctx, 'activation_forward', x.numel, [out, x], 0, constants);
  // Backward needs only the output: tanh' = 1 - y², sigmoid' = y(1 - y), relu' = [y > 0].
  record(kind, [x], [out], [out], ([dOut], sink, [savedOut]) => {
    const dx = sink.gradOf(0);
    if (dx) run(x.ctx, 'activation_backward', x.numel, [dx, dOut!, savedOut], 0, constants);
  });
  return out;
}

export const tanh = (x: Tensor): Tensor => activation(x, 'tanh');
export const sigmoid = (x: Tensor): Tensor => activation(x, 'sigmoid');
export const relu = (x: Tensor): Tensor => activation(x, 'relu');
