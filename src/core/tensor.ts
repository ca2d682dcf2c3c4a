import type { Context } from './context.js';
import { assertShape, numelOf, sameShape, shapeString } from './shape.js';
import { checkAllocation } from './limits.js';
import { backward, record, needsGrad, type Node } from './autograd.js';

export type DType = 'float32' | 'int32';
export type TensorData = Float32Array | Int32Array | readonly number[];

/** A GPU buffer shared by a tensor and its views (detach, reshape, saved copies on the tape); reference counted. */
export class Storage {
  private refs = 1;
  constructor(readonly ctx: Context, readonly buffer: GPUBuffer) {}
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0 && !this.ctx.isDestroyed) this.ctx.pool.release(this.buffer);
  }
}

// Tensors the program drops without dispose() give their buffer back when garbage collected.
const finalizer = new FinalizationRegistry<{ storage: Storage; ctx: Context }>(({ storage, ctx }) => {
  ctx.liveTensors--;
  storage.release();
});

export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly numel: number;
  /** The gradient, filled by backward() when requiresGrad is set. */
  grad: Tensor | null = null;
  /** The tape node that produced this tensor (null for leaves). */
  gradFn: Node | null = null;
  /** Which output of gradFn this tensor is. */
  outputIndex = 0;
  /** CPU copy of int32 data made from the CPU, so token ids can be checked without a GPU read-back. */
  cpuData: Int32Array | null = null;
  private _requiresGrad = false;
  private storage: Storage | null;

  constructor(readonly ctx: Context, storage: Storage, shape: readonly number[], dtype: DType) {
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.numel = numelOf(shape);
    ctx.liveTensors++;
    finalizer.register(this, { storage, ctx }, this);
  }

  static fromData(ctx: Context, data: TensorData, shape: readonly number[], dtype?: DType): Tensor {
    assertShape(shape, 'tensor');
    if (dtype !== undefined) assertDType(dtype, 'tensor');
    const kind: DType = dtype ?? (data instanceof Int32Array ? 'int32' : 'float32');
    const numel = numelOf(shape);
    if (data.length !== numel) {
      throw new RangeError(`tensor data has ${data.length} elements but shape ${shapeString(shape)} needs ${numel}`);
    }
    // Before the data is converted (a copy as large as the tensor).
    checkAllocation(ctx, 'tensor', [[`a ${shapeString(shape)} ${kind} tensor`, numel]], 'the shape');
    const typed =
      kind === 'int32'
        ? data instanceof Int32Array ? data : Int32Array.from(data, checkedInt)
        : data instanceof Float32Array ? data : Float32Array.from(data);
    // Written at once by the queue, ahead of anything encoded: so not from empty(), whose debug NaN fill is encoded.
    const t = ctx.allocate(shape, kind, kind === 'int32' ? 'ids' : 'tensor');
    if (numel > 0) ctx.writeBuffer(t.buffer, 0, typed, true);
    if (kind === 'int32') t.cpuData = Int32Array.from(typed as Int32Array);
    return t;
  }

  get buffer(): GPUBuffer {
    if (!this.storage) throw new Error(`tensor ${shapeString(this.shape)} was disposed`);
    return this.storage.buffer;
  }

  get isDisposed(): boolean {
    return this.storage === null;
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  set requiresGrad(value: boolean) {
    if (value && this.dtype !== 'float32') throw new TypeError('only float32 tensors can require gradients');
    if (!value && this.gradFn) {
      throw new Error('requiresGrad can only be turned off on leaf tensors; use detach()');
    }
    this._requiresGrad = value;
  }

  /** Marks an op output as part of the graph. */
  setGradFn(node: Node, outputIndex: number): void {
    this.gradFn = node;
    this.outputIndex = outputIndex;
    this._requiresGrad = true;
  }

  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  read(): Promise<Float32Array | Int32Array> {
    this.ctx.assertNotCapturing('read a tensor'); // thrown, not rejected: the capture stops at the call
    return this.readBack();
  }

  private async readBack(): Promise<Float32Array | Int32Array> {
    const bytes = await this.ctx.readBuffer(this.buffer, this.numel * 4);
    return this.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes);
  }

  /** A tensor sharing this one's data, cut from the graph (PyTorch's detach). */
  detach(): Tensor {
    return this.view(this.shape);
  }

  /** A view with another shape of the same data; gradients flow through it. */
  reshape(shape: readonly number[]): Tensor {
    const resolved = resolveShape(shape, this.numel, this.shape);
    const out = this.view(resolved);
    if (needsGrad(this)) {
      record('reshape', [this], [out], [], ([dOut], sink) => {
        if (dOut && sink.needs(0)) sink.pass(0, dOut);
      });
    }
    return out;
  }

  /** A new tensor object on the same storage (no graph). */
  view(shape: readonly number[]): Tensor {
    const storage = this.storage;
    if (!storage) throw new Error(`tensor ${shapeString(this.shape)} was disposed`);
    if (shape !== this.shape) {
      assertShape(shape, 'view');
      // Ops may view a prefix of a buffer (the LSTM's c in front of its gates), never past its end.
      if (numelOf(shape) * 4 > storage.buffer.size) {
        throw new RangeError(`view: shape ${shapeString(shape)} needs ${numelOf(shape)} elements, more than the buffer of ${shapeString(this.shape)} holds`);
      }
    }
    const t = new Tensor(this.ctx, storage.retain(), shape, this.dtype);
    t.cpuData = this.cpuData;
    return t;
  }

  /** Gives the buffer back to the pool once nothing (views, the tape) uses it. */
  dispose(): void {
    if (!this.storage) return;
    finalizer.unregister(this);
    this.ctx.liveTensors--;
    this.storage.release();
    this.storage = null;
  }

  backward(grad?: Tensor, options?: { retainGraph?: boolean }): void {
    backward([this], [grad], options);
  }

  toString(): string {
    return `Tensor(${shapeString(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

/** A trainable tensor: a leaf that requires gradients. */
export class Parameter extends Tensor {
  constructor(tensor: Tensor) {
    super(tensor.ctx, (tensor as unknown as { storage: Storage }).storage.retain(), tensor.shape, 'float32');
    tensor.dispose();
    this.requiresGrad = true;
  }
}

function checkedInt(v: number): number {
  if (!Number.isInteger(v)) throw new TypeError(`int32 tensor data must be integers, got ${v}`);
  if (v < -0x80000000 || v > 0x7fffffff) throw new RangeError(`int32 tensor data must fit in 32 bits, got ${v}`);
  return v;
}

/** Throws a TypeError unless dtype is one webrnn has. */
export function assertDType(dtype: unknown, what: string): asserts dtype is DType {
  if (dtype !== 'float32' && dtype !== 'int32') {
    throw new TypeError(`${what}: dtype must be 'float32' or 'int32', got ${JSON.stringify(dtype) ?? String(dtype)}`);
  }
}

/** The shape with its one -1 (if any) filled in from the element count. */
function resolveShape(shape: readonly number[], numel: number, from: readonly number[]): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`reshape: the shape must be an array of dimensions, got ${String(shape)}`);
  const out = [...shape];
  const wild = out.indexOf(-1);
  if (wild >= 0 && out.indexOf(-1, wild + 1) >= 0) throw new RangeError(`reshape: only one dimension can be -1, got ${shapeString(shape)}`);
  // Each given dimension is checked (naming it) before the -1 is worked out from them.
  assertShape(out.map((d, i) => (i === wild ? 0 : d)), 'reshape');
  if (wild >= 0) {
    const rest = out.reduce((a, d, i) => (i === wild ? a : a * d), 1);
    out[wild] = rest === 0 ? 0 : numel / rest;
  }
  if (!Number.isInteger(out[wild] ?? 0) || numelOf(out) !== numel) {
    throw new RangeError(`cannot reshape ${shapeString(from)} to ${shapeString(shape)}`);
  }
  return out;
}

export function assertSameShape(a: Tensor, b: Tensor, what: string): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new RangeError(`${what}: shapes ${shapeString(a.shape)} and ${shapeString(b.shape)} differ`);
  }
}
