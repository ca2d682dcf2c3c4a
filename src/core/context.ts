// The Context: one device and what lives on it. A thin front over the parts that do the work: device set-up
// (device.ts), kernels and their compile errors (kernel.ts), bind groups and uniforms (bindings.ts), command
// recording (recorder.ts), error tracking (error-log.ts) and read-back (readback.ts).
import { BufferUsage } from './gpu-constants.js';
import { BufferPool } from './pool.js';
import { ErrorLog } from './error-log.js';
import { KernelCache, type Kernel, type KernelSpec } from './kernel.js';
import { BindGroupCache, resolveResources, type Bindings, type Params } from './bindings.js';
import { CommandRecorder } from './recorder.js';
import { isSoftwareAdapter, requestDevice, type InitOptions } from './device.js';
import { readBuffer } from './readback.js';
import { fillBuffer } from './fill.js';
import { GPUError } from './errors.js';
import type { GpuTimerOptions, GpuTimes } from './gpu-timer.js';
import { Tensor, Storage, assertDType, type DType, type TensorData } from './tensor.js';
import { checkAllocation, type AllocationLimits } from './limits.js';
import { assertShape, numelOf, shapeString } from './shape.js';
import { CapturedStep, type CaptureHost, type CaptureOptions } from './capture.js';
import type { Trace } from './capture-trace.js';
import type { IdCheck } from './capture-ids.js';

export type { InitOptions } from './device.js';
export type { AllocationLimits } from './limits.js';
export type { Binding, Bindings, Params } from './bindings.js';
export type { CapturedStep, CaptureOptions, InputData } from './capture.js';

export interface MemoryStats {
  /** Buffers held by live tensors (and in-flight temporaries). */
  liveBuffers: number;
  liveBytes: number;
  /** Freed buffers kept for reuse. */
  pooledBuffers: number;
  pooledBytes: number;
  /** Tensor objects not yet disposed (or collected). */
  liveTensors: number;
  /** Cached uniform (params) buffers: at most `uniformCacheLimit`. */
  uniformBuffers: number;
}

export async function init(options: InitOptions = {}): Promise<Context> {
  // Checked before a device is asked for, so a bad budget costs nothing.
  if (options.memoryBudget !== undefined && !(typeof options.memoryBudget === 'number' && options.memoryBudget > 0)) {
    throw new RangeError(`init: memoryBudget must be a positive number of bytes (or Infinity), got ${String(options.memoryBudget)}`);
  }
  let ctx: Context;
  if (options.device) {
    ctx = new Context(options.device, null, false);
  } else {
    const { device, info, keepAlive } = await requestDevice(options);
    ctx = new Context(device, info, true, keepAlive);
  }
  if (options.memoryBudget !== undefined) ctx.setAllocationLimits({ memoryBudget: options.memoryBudget });
  return ctx;
}

let contextCount = 0;

/** Holds the device, the buffer pool, compiled kernels and the open command encoder. */
export class Context {
  readonly device: GPUDevice;
  readonly adapterInfo: GPUAdapterInfo | null;
  /**
   * A CPU-emulated adapter (SwiftShader, llvmpipe, lavapipe): there, kernels without workgroup barriers run
   * many times faster than tiled ones, so ops pick their simple variants.
   */
  readonly softwareAdapter: boolean;
  readonly limits: GPUSupportedLimits;
  /** What allocations are checked against (core/limits.ts): the device's limits and the memory budget. */
  readonly allocationLimits: AllocationLimits;
  readonly pool: BufferPool;
  readonly id = ++contextCount;
  /** Tensor objects alive (for leak tests). */
  liveTensors = 0;
  /**
   * Most uniform buffers kept for reuse. Params that change from call to call (a generation position, a
   * temperature typed in a demo) would otherwise add buffers forever; past the limit the cache starts over.
   */
  uniformCacheLimit = 4096;
  /**
   * A debugging aid for kernel authors (the tests turn it on): every uninitialised tensor (`empty`) is filled
   * with NaN, so a kernel that leaves part of its output unwritten shows up as NaN instead of stale data.
   */
  poisonUninitialized = false;

  private readonly errors: ErrorLog;
  private readonly kernels: KernelCache;
  private readonly bindGroups: BindGroupCache;
  private readonly recorder: CommandRecorder;
  private destroyed = false;
  private dummy: GPUBuffer | null = null;
  /** The recording of the step being captured, if any (capture.ts): dispatches, copies, writes go into it too. */
  private trace: Trace | null = null;
  /** Inside an eachStep() update: its CPU writes are per-step values, not constants of the step. */
  private inStepUpdate = false;
  private host: CaptureHost | null = null;

  constructor(
    device: GPUDevice,
    adapterInfo: GPUAdapterInfo | null,
    private readonly ownsDevice: boolean,
    private readonly keepAlive: readonly unknown[] = [],
  ) {
    this.device = device;
    this.adapterInfo = adapterInfo ?? (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo ?? null;
    this.softwareAdapter = isSoftwareAdapter(this.adapterInfo);
    this.limits = device.limits;
    this.allocationLimits = {
      maxBufferSize: device.limits.maxBufferSize,
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      memoryBudget: Infinity,
    };
    this.pool = new BufferPool(device, this.allocationLimits);
    this.errors = new ErrorLog(device, () => this.destroyed);
    this.kernels = new KernelCache(device, this.errors);
    this.recorder = new CommandRecorder(device, this.pool, this.errors);
    this.bindGroups = new BindGroupCache(device, this.pool, (buffers) => this.recorder.retire(buffers));
  }

  /** Dispatches encoded since the context was made (for benchmarks: dispatches per step). */
  get dispatchCount(): number {
    return this.recorder.dispatchCount;
  }

  /** Command buffers submitted since the context was made. */
  get submitCount(): number {
    return this.recorder.submitCount;
  }

  /** Bind groups created (not found in the cache): a steady training loop creates none. */
  get bindGroupCount(): number {
    return this.bindGroups.created;
  }

  // ---- tensors -------------------------------------------------------------------------------------------

  /** A tensor from CPU data. Int32 data keeps a CPU copy, so token ids can be range-checked without a read-back. */
  tensor(data: TensorData, shape: readonly number[], dtype?: DType): Tensor {
    return Tensor.fromData(this, data, shape, dtype);
  }

  zeros(shape: readonly number[], dtype: DType = 'float32', label = 'zeros'): Tensor {
    const t = this.allocate(shape, dtype, label, 'zeros');
    this.fillBuffer(t.buffer, 0, t.numel);
    return t;
  }

  /** An uninitialised tensor (its buffer may hold old data): for op outputs that every kernel thread writes. */
  empty(shape: readonly number[], dtype: DType = 'float32', label = 'tensor'): Tensor {
    const t = this.allocate(shape, dtype, label, 'empty');
    if (this.poisonUninitialized) this.fillBuffer(t.buffer, NaN, t.numel);
    return t;
  }

  /**
   * @internal A tensor on a pooled buffer that nothing unsubmitted uses, for a caller that fills it at once.
   * The shape, dtype and size are checked first; `caller` names the public method in the errors.
   */
  allocate(shape: readonly number[], dtype: DType, label: string, caller = label): Tensor {
    this.assertUsable();
    assertShape(shape, caller);
    assertDType(dtype, caller);
    const numel = numelOf(shape);
    checkAllocation(this, caller, [[`a ${shapeString(shape)} ${dtype} tensor`, numel]], 'the shape');
    const bytes = Math.max(4, numel * 4);
    this.trace?.allocate(bytes, label);
    const storage = new Storage(this, this.pool.acquire(bytes, label));
    return new Tensor(this, storage, shape, dtype);
  }

  /**
   * Lowers the limits allocations are checked against (never above the device's): a memory budget for the
   * context, or smaller buffer limits (tests use them to see refusals without allocating gigabytes).
   */
  setAllocationLimits(limits: Partial<AllocationLimits>): void {
    const device = this.device.limits;
    const next = { ...this.allocationLimits, ...limits };
    for (const key of ['maxBufferSize', 'maxStorageBufferBindingSize'] as const) {
      const v = next[key];
      if (!Number.isSafeInteger(v) || v < 4 || v > device[key]) {
        throw new RangeError(`setAllocationLimits: ${key} must be an integer from 4 to the device's ${device[key]}, got ${v}`);
      }
    }
    if (!(typeof next.memoryBudget === 'number' && next.memoryBudget > 0)) {
      throw new RangeError(`setAllocationLimits: memoryBudget must be a positive number of bytes (or Infinity), got ${next.memoryBudget}`);
    }
    Object.assign(this.allocationLimits, next);
  }

  memoryStats(): MemoryStats {
    return {
      liveBuffers: this.pool.liveBuffers,
      liveBytes: this.pool.liveBytes,
      pooledBuffers: this.pool.pooledBuffers,
      pooledBytes: this.pool.pooledBytes,
      liveTensors: this.liveTensors,
      uniformBuffers: this.bindGroups.uniformCount,
    };
  }

  // ---- kernels and encoding ------------------------------------------------------------------------------

  /** The compiled kernel for a spec (made once per context). */
  kernel(spec: KernelSpec): Kernel {
    this.assertUsable();
    return this.kernels.get(spec);
  }

  /**
   * Encodes one dispatch. `bindings` name the storage buffers by their WGSL variable names and `params` the
   * fields of the entry point's uniform struct (floats are encoded from the struct's types). Both must match
   * what the entry point uses exactly: a misspelt, missing or extra name throws before anything is encoded.
   */
  dispatch(kernel: Kernel, workgroups: readonly number[], bindings: Bindings, params?: Params): void {
    this.assertUsable();
    const failed = this.kernels.failure(kernel);
    if (failed) throw failed;
    const maxGroups = this.limits.maxComputeWorkgroupsPerDimension;
    for (const n of workgroups) {
      if (n > maxGroups) throw new RangeError(`kernel ${kernel.label}: ${n} workgroups exceed this adapter's limit of ${maxGroups} per dimension`);
    }
    if (workgroups.some((n) => n === 0)) {
      resolveResources(kernel, bindings, params, this); // still checked, though nothing runs
      return;
    }
    const resolved = this.bindGroups.bindGroup(kernel, bindings, params, this, this.uniformCacheLimit);
    this.trace?.dispatch(kernel, resolved, workgroups);
    this.recorder.dispatch(kernel, resolved.group, workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1);
  }

  // ---- capture and replay --------------------------------------------------------------------------------

  /**
   * Captures a step for replay: `fn` encodes one whole step (e.g. forward, loss, backward, clipping, optimizer
   * step) reading its per-step data from `options.inputs`. Nothing runs yet: each `step.run(inputs)` does one
   * step, the first two (or three) by calling `fn` while recording it, every later one by replaying the
   * recording (the same pipelines, bind groups and workgroup counts; no tape, allocation or bind-group creation).
   * The buffers the step uses stay reserved until `step.dispose()`. See CapturedStep.
   */
  capture<T>(fn: () => T, options?: CaptureOptions): CapturedStep<T> {
    this.assertUsable();
    return new CapturedStep(this, this.captureHost(), fn, options);
  }

  /** Whether a captured step is being recorded (its function is running). */
  get isCapturing(): boolean {
    return this.trace !== null;
  }

  /**
   * Runs `update` now and, when a step is being captured, again before each of its replays: the place for the
   * CPU side of values that change from step to step (a step count, bias corrections, a scheduled learning
   * rate), which `update` writes into a buffer the step's kernels read (ctx.writeBuffer).
   */
  eachStep(update: () => void): void {
    this.trace?.hook(update);
    const outer = this.inStepUpdate;
    this.inStepUpdate = true;
    try {
      update();
    } finally {
      this.inStepUpdate = outer;
    }
  }

  /**
   * @internal Runs an op's check of token ids it can see on the CPU and, while a step is captured, keeps it: the
   * step's replays run it on the ids given to run() (capture-ids.ts), where no op runs.
   */
  checkIds(ids: Int32Array, check: IdCheck): void {
    check(ids);
    this.trace?.idCheck(ids, check);
  }

  private captureHost(): CaptureHost {
    this.host ??= {
      pool: this.pool,
      bindGroups: this.bindGroups,
      recorder: this.recorder,
      setTrace: (trace) => {
        if (trace && this.trace) throw new Error('capture: a step is already being captured (captures do not nest)');
        this.trace = trace;
      },
    };
    return this.host;
  }

  // ---- GPU timing ----------------------------------------------------------------------------------------

  /**
   * Starts timing the GPU work encoded from now on with timestamp queries: every compute pass, or with
   * `perDispatch` every dispatch in a pass of its own (so time can be told per kernel). Needs a context made
   * with init({ requiredFeatures: ['timestamp-query'] }). Work encoded before the call is not timed.
   */
  startGpuTimer(options: GpuTimerOptions = {}): void {
    this.assertUsable();
    if (this.recorder.timing) throw new Error('startGpuTimer: a GPU timer is already running (call stopGpuTimer first)');
    if (!this.device.features.has('timestamp-query')) {
      throw new Error("startGpuTimer: this device has no 'timestamp-query' feature; make the context with init({ requiredFeatures: ['timestamp-query'] }) on an adapter that offers it");
    }
    this.recorder.startTimer(options);
  }

  /** Stops the timer, waits for the timed work and returns its GPU time. */
  async stopGpuTimer(): Promise<GpuTimes> {
    if (!this.recorder.timing) throw new Error('stopGpuTimer: no GPU timer is running (call startGpuTimer first)');
    return this.recorder.stopTimer((buffer, bytes) => this.readBuffer(buffer, bytes));
  }

  // ---- buffers -------------------------------------------------------------------------------------------

  copyBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.assertUsable();
    if (bytes === 0) return;
    this.trace?.copy(src, srcOffset, dst, dstOffset, bytes);
    this.recorder.copy(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Writes CPU data into a buffer. Pending commands are submitted first unless the buffer is fresh, so the
   *  write cannot overtake earlier encoded reads of it. */
  writeBuffer(buffer: GPUBuffer, offset: number, data: ArrayBufferView, fresh = false): void {
    this.assertUsable();
    if (!fresh) this.flush();
    if (!this.inStepUpdate) this.trace?.write(buffer, offset, data);
    this.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Fills `count` 32-bit words of a buffer with a float value (a kernel, so it stays in the open pass). */
  fillBuffer(buffer: GPUBuffer, value: number, count: number): void {
    fillBuffer(this, buffer, value, count);
  }

  /** A small buffer to bind where an entry point declares a binding the caller does not need. */
  dummyBuffer(): GPUBuffer {
    if (!this.dummy) {
      this.dummy = this.device.createBuffer({ size: 16, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST, label: 'unused' });
      this.pool.idOf(this.dummy);
    }
    return this.dummy;
  }

  /** Copies a buffer's first `bytes` bytes to the CPU. */
  readBuffer(buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    this.assertNotCapturing('read a buffer');
    return readBuffer(this, buffer, bytes);
  }

  /** Throws when a step is being captured: reading back cannot be part of a step a replay runs without JavaScript. */
  assertNotCapturing(what: string): void {
    if (this.trace) {
      throw new Error(
        `capture: cannot ${what} while a step is being captured: a replay runs no JavaScript, so the value could ` +
          'not reach it; return the tensor from the step function and read it after run()',
      );
    }
  }

  // ---- submission and errors -----------------------------------------------------------------------------

  /** Submits everything encoded so far as one command buffer. */
  flush(): void {
    this.assertUsable();
    this.recorder.flush();
  }

  /** Submits pending work, waits for the GPU, and throws the first GPU error seen (naming its kernel). */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  /** Throws the first error reported by the GPU so far (compile errors, validation errors, device loss). */
  async checkErrors(): Promise<void> {
    await this.errors.settle();
    this.errors.throwPending();
  }

  /** @internal A GPUError for a GPU call that failed with `error`: naming the device loss when that is the cause. */
  explainGpuFailure(error: unknown, what: string): Promise<GPUError> {
    if (this.destroyed) return Promise.resolve(new GPUError(`${what} failed: this webrnn context was destroyed`, { cause: error }));
    return this.errors.explain(error, what);
  }

  assertUsable(): void {
    if (this.destroyed) throw new Error('this webrnn context was destroyed');
    if (this.errors.lostMessage) throw new GPUError(this.errors.lostMessage);
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Frees every buffer and the device (unless the device was passed in). */
  destroy(): void {
    if (this.destroyed) return;
    this.recorder.discard();
    this.destroyed = true;
    // Everything this context made goes, also on a device it shares (which stays).
    this.pool.destroyAll();
    this.dummy?.destroy();
    this.dummy = null;
    this.bindGroups.clear(false);
    if (this.ownsDevice) this.device.destroy();
  }
}
