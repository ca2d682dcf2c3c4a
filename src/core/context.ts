import { BufferUsage, MapModeRead } from './gpu-constants.js';
import { GPUError, WebGPUUnavailableError } from './errors.js';
import { BufferPool } from './pool.js';
import { formatCompilationMessages, kernelKey, type Kernel, type KernelSpec } from './kernel.js';
import { GpuTimer, type GpuTimerOptions, type GpuTimes } from './gpu-timer.js';
import { Tensor, Storage, type DType, type TensorData } from './tensor.js';

export interface InitOptions {
  /** A GPU object: navigator.gpu in browsers, create([]) from the 'webgpu' package in Node. */
  gpu?: GPU;
  /** An existing device: webrnn then shares it and never destroys it. */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
  /** Device features the context needs, e.g. ['timestamp-query'] for startGpuTimer(); each must be on the adapter. */
  requiredFeatures?: GPUFeatureName[];
  /** Device features asked for only where the adapter has them (see context.device.features for what came). */
  optionalFeatures?: GPUFeatureName[];
}

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

/** A buffer bound to a kernel: a whole buffer, or a tensor's. */
export type Binding = GPUBuffer | Tensor | null;

/** Limits the kernels need; asked for up to what the adapter offers. */
const WANTED_LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
] as const;

export async function init(options: InitOptions = {}): Promise<Context> {
  if (options.device) return new Context(options.device, null, false);
  const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) throw new WebGPUUnavailableError('this environment has no navigator.gpu');
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  } catch (e) {
    throw new WebGPUUnavailableError(`requestAdapter failed (${(e as Error).message})`);
  }
  if (!adapter) throw new WebGPUUnavailableError('no GPU adapter was found (the GPU may be blocklisted or disabled)');
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const missing = (options.requiredFeatures ?? []).filter((f) => !adapter.features.has(f));
  if (missing.length) {
    throw new RangeError(`init: this adapter lacks the feature(s) ${missing.join(', ')} (it has: ${[...adapter.features].sort().join(', ') || 'none'})`);
  }
  const wanted = [...(options.requiredFeatures ?? []), ...(options.optionalFeatures ?? []).filter((f) => adapter.features.has(f))];
  const requiredFeatures = [...new Set(wanted)];
  const device = await adapter.requestDevice({ label: 'webrnn', requiredLimits, requiredFeatures });
  // The context keeps the GPU object and adapter alive: in Node, a collected GPU object tears Dawn down
  // under the device (a native crash at the next map).
  return new Context(device, adapter.info ?? null, true, [gpu, adapter]);
}

let contextCount = 0;

function isSoftwareAdapter(info: GPUAdapterInfo | null): boolean {
  if (!info) return false;
  if ((info as { isFallbackAdapter?: boolean }).isFallbackAdapter) return true;
  return /swiftshader|llvmpipe|lavapipe|software/i.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
}

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
  readonly pool: BufferPool;
  readonly id = ++contextCount;
  /** Tensor objects alive (for leak tests). */
  liveTensors = 0;
  /** Dispatches encoded since the context was made (for benchmarks: dispatches per step). */
  dispatchCount = 0;
  /** Command buffers submitted since the context was made. */
  submitCount = 0;
  /** Bind groups created (not found in the cache): a steady training loop creates none. */
  bindGroupCount = 0;
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

  private readonly kernels = new Map<string, Kernel>();
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly uniforms = new Map<string, GPUBuffer>();
  /** GPU objects that encoded commands may still use (uniforms dropped from the cache, a failed timer's
   *  buffers): destroyed after the next submit. */
  private retired: { destroy(): void }[] = [];
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** The pipeline last set in the open pass: setPipeline is skipped when the next dispatch runs the same kernel
   *  (a recurrence dispatches one kernel T times in a row). */
  private passPipeline: GPUComputePipeline | null = null;
  private timer: GpuTimer | null = null;
  private encodedCommands = 0;
  private readonly errors: Error[] = [];
  private readonly pendingChecks = new Set<Promise<void>>();
  private readonly badKernels = new Map<Kernel, GPUError>();
  private lostMessage: string | null = null;
  private destroyed = false;
  private kernelIds = 0;
  private dummy: GPUBuffer | null = null;

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
    this.pool = new BufferPool(device, device.limits.maxBufferSize);
    device.lost.then((info) => {
      if (!this.destroyed) this.lostMessage = `GPU device lost (${info.reason}): ${info.message}`;
    });
    device.addEventListener('uncapturederror', (event) => {
      this.errors.push(new GPUError(`uncaptured WebGPU error: ${(event as GPUUncapturedErrorEvent).error.message}`));
    });
  }

  // ---- tensors -------------------------------------------------------------------------------------------

  /** A tensor from CPU data. Int32 data keeps a CPU copy, so token ids can be range-checked without a read-back. */
  tensor(data: TensorData, shape: readonly number[], dtype?: DType): Tensor {
    return Tensor.fromData(this, data, shape, dtype);
  }

  zeros(shape: readonly number[], dtype: DType = 'float32', label = 'zeros'): Tensor {
    const t = this.allocate(shape, dtype, label);
    this.fillBuffer(t.buffer, 0, t.numel);
    return t;
  }

  /** An uninitialised tensor (its buffer may hold old data): for op outputs that every kernel thread writes. */
  empty(shape: readonly number[], dtype: DType = 'float32', label = 'tensor'): Tensor {
    const t = this.allocate(shape, dtype, label);
    if (this.poisonUninitialized) this.fillBuffer(t.buffer, NaN, t.numel);
    return t;
  }

  /** @internal A tensor on a pooled buffer that nothing unsubmitted uses, for a caller that fills it at once. */
  allocate(shape: readonly number[], dtype: DType, label: string): Tensor {
    this.assertUsable();
    const numel = shape.reduce((a, b) => a * b, 1);
    const storage = new Storage(this, this.pool.acquire(Math.max(4, numel * 4), label));
    return new Tensor(this, storage, shape, dtype);
  }

  memoryStats(): MemoryStats {
    return {
      liveBuffers: this.pool.liveBuffers,
      liveBytes: this.pool.liveBytes,
      pooledBuffers: this.pool.pooledBuffers,
      pooledBytes: this.pool.pooledBytes,
      liveTensors: this.liveTensors,
      uniformBuffers: this.uniforms.size,
    };
  }

  // ---- kernels and encoding ------------------------------------------------------------------------------

  kernel(spec: KernelSpec): Kernel {
    const key = kernelKey(spec);
    const cached = this.kernels.get(key);
    if (cached) return cached;
    this.assertUsable();
    const label = key;
    let module = this.modules.get(spec.file);
    if (!module) {
      // A WGSL error is reported once, for the module, as file:line:col (from getCompilationInfo).
      this.device.pushErrorScope('validation');
      module = this.device.createShaderModule({ code: spec.source, label: spec.file });
      const created = module;
      this.track(
        this.device.popErrorScope().then(async (error) => {
          if (!error) return;
          const where = formatCompilationMessages(spec.file, (await created.getCompilationInfo()).messages);
          this.reportCompileError(new GPUError(`${spec.file} failed to compile:\n${where || error.message}`));
        }),
      );
      this.modules.set(spec.file, module);
    }
    this.device.pushErrorScope('validation');
    const pipeline = this.device.createComputePipeline({
      label,
      layout: 'auto',
      compute: { module, entryPoint: spec.entry, constants: spec.constants },
    });
    const layout = pipeline.getBindGroupLayout(0);
    const shaderModule = module;
    const kernel: Kernel = { key, label, spec, pipeline, layout, id: ++this.kernelIds };
    this.track(
      this.device.popErrorScope().then(async (error) => {
        if (!error) return;
        // An invalid module makes every pipeline on it invalid: the module's own check reports that once.
        const where = formatCompilationMessages(spec.file, (await shaderModule.getCompilationInfo()).messages);
        const failure = new GPUError(`kernel ${label} failed to compile: ${where || error.message}`);
        this.badKernels.set(kernel, failure);
        if (!where) this.reportCompileError(failure);
      }),
    );
    this.kernels.set(key, kernel);
    return kernel;
  }

  /** Compile errors go first: whatever fails after them (bind groups, submits) is a consequence. */
  private reportCompileError(error: GPUError): void {
    this.errors.unshift(error);
  }

  /**
   * Encodes one dispatch. `params` (u32 words; use `f32bits` for floats) go to binding 0 as a uniform;
   * `bindings[i]` is bound at binding i + 1 (null leaves a hole for bindings the entry point does not use).
   */
  dispatch(kernel: Kernel, workgroups: readonly number[], bindings: readonly Binding[], params?: readonly number[]): void {
    this.assertUsable();
    const failed = this.badKernels.get(kernel);
    if (failed) throw failed;
    const maxGroups = this.limits.maxComputeWorkgroupsPerDimension;
    for (const n of workgroups) {
      if (n > maxGroups) throw new RangeError(`kernel ${kernel.label}: ${n} workgroups exceed this adapter's limit of ${maxGroups} per dimension`);
    }
    if (workgroups.some((n) => n === 0)) return;
    const bindGroup = this.bindGroup(kernel, bindings, params);
    const timeAlone = this.timer?.perDispatch ?? false;
    if (timeAlone) this.closePass();
    const pass = this.openPass(timeAlone ? kernel.label : 'pass');
    if (this.passPipeline !== kernel.pipeline) {
      pass.setPipeline(kernel.pipeline);
      this.passPipeline = kernel.pipeline;
    }
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1);
    if (timeAlone) this.closePass();
    this.dispatchCount++;
    this.encodedCommands++;
    if (this.encodedCommands > 20000) this.flush();
  }

  private bindGroup(kernel: Kernel, bindings: readonly Binding[], params?: readonly number[]): GPUBindGroup {
    const buffers: (GPUBuffer | null)[] = [params ? this.uniform(params) : null];
    for (const b of bindings) buffers.push(b === null ? null : b instanceof Tensor ? b.buffer : b);
    let key = `${kernel.id}`;
    for (const b of buffers) key += `,${b ? this.pool.idOf(b) : '-'}`;
    let group = this.bindGroups.get(key);
    if (!group) {
      const entries: GPUBindGroupEntry[] = [];
      buffers.forEach((buffer, binding) => {
        if (buffer) entries.push({ binding, resource: { buffer } });
      });
      if (this.bindGroups.size > 20000) this.bindGroups.clear();
      group = this.device.createBindGroup({ label: kernel.label, layout: kernel.layout, entries });
      this.bindGroupCount++;
      this.bindGroups.set(key, group);
    }
    return group;
  }

  /** Immutable uniform buffers, cached by content: a training step reuses the same few hundred. */
  private uniform(words: readonly number[]): GPUBuffer {
    const key = words.join(',');
    let buffer = this.uniforms.get(key);
    if (!buffer) {
      if (this.uniforms.size >= this.uniformCacheLimit) this.retireUniforms();
      const size = Math.max(16, Math.ceil((words.length * 4) / 16) * 16);
      buffer = this.device.createBuffer({ size, usage: BufferUsage.UNIFORM, mappedAtCreation: true, label: 'params' });
      new Uint32Array(buffer.getMappedRange()).set(words.map((w) => w >>> 0));
      buffer.unmap();
      this.pool.idOf(buffer);
      this.uniforms.set(key, buffer);
    }
    return buffer;
  }

  /** Empties the uniform cache (and the bind groups made with it); the buffers go after the next submit. */
  private retireUniforms(): void {
    this.retired.push(...this.uniforms.values());
    this.uniforms.clear();
    this.bindGroups.clear();
  }

  /** Destroys what was retired: called once nothing unsubmitted can use it. */
  private destroyRetired(): void {
    for (const r of this.retired) r.destroy();
    this.retired = [];
  }

  /** The open compute pass, or a new one; `label` names what a GPU timer attributes the pass to. */
  private openPass(label: string): GPUComputePassEncoder {
    if (!this.pass) {
      const encoder = this.openEncoder();
      this.pass = encoder.beginComputePass(this.timer ? this.timer.passDescriptor(encoder, label) : { label: 'webrnn' });
    }
    return this.pass;
  }

  private openEncoder(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'webrnn' });
    return this.encoder;
  }

  private closePass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
      this.passPipeline = null;
    }
  }

  // ---- GPU timing ----------------------------------------------------------------------------------------

  /**
   * Starts timing the GPU work encoded from now on with timestamp queries: every compute pass, or with
   * `perDispatch` every dispatch in a pass of its own (so time can be told per kernel). Needs a context made
   * with init({ requiredFeatures: ['timestamp-query'] }). Work encoded before the call is not timed.
   */
  startGpuTimer(options: GpuTimerOptions = {}): void {
    this.assertUsable();
    if (this.timer) throw new Error('startGpuTimer: a GPU timer is already running (call stopGpuTimer first)');
    if (!this.device.features.has('timestamp-query')) {
      throw new Error("startGpuTimer: this device has no 'timestamp-query' feature; make the context with init({ requiredFeatures: ['timestamp-query'] }) on an adapter that offers it");
    }
    this.closePass(); // the open pass began untimed
    this.timer = new GpuTimer(this.device, options);
  }

  /** Stops the timer, waits for the timed work and returns its GPU time. */
  async stopGpuTimer(): Promise<GpuTimes> {
    const timer = this.timer;
    if (!timer) throw new Error('stopGpuTimer: no GPU timer is running (call startGpuTimer first)');
    this.timer = null;
    try {
      this.closePass();
      timer.resolve(this.openEncoder());
      this.flush();
    } catch (error) {
      this.retired.push(timer); // the unsubmitted resolve commands still name its buffers
      throw error;
    }
    return timer.read((buffer, bytes) => this.readBuffer(buffer, bytes));
  }

  copyBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.assertUsable();
    if (bytes === 0) return;
    this.closePass();
    this.openEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.encodedCommands++;
  }

  /** Writes CPU data into a buffer. Pending commands are submitted first unless the buffer is fresh, so the
   *  write cannot overtake earlier encoded reads of it. */
  writeBuffer(buffer: GPUBuffer, offset: number, data: ArrayBufferView, fresh = false): void {
    this.assertUsable();
    if (!fresh) this.flush();
    this.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Fills `count` 32-bit words of a buffer with a float value (a kernel, so it stays in the open pass). */
  fillBuffer(buffer: GPUBuffer, value: number, count: number): void {
    fillImpl(this, buffer, value, count);
  }

  /** A small buffer to bind where an entry point declares a binding the caller does not need. */
  dummyBuffer(): GPUBuffer {
    if (!this.dummy) {
      this.dummy = this.device.createBuffer({ size: 16, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST, label: 'unused' });
      this.pool.idOf(this.dummy);
    }
    return this.dummy;
  }

  /** Submits everything encoded so far as one command buffer. */
  flush(): void {
    this.assertUsable();
    this.throwPendingErrors();
    this.closePass();
    if (!this.encoder) {
      // Nothing encoded is waiting, so nothing unsubmitted can read the buffers released since: recycle them.
      this.pool.onSubmit();
      this.destroyRetired();
      return;
    }
    const encoder = this.encoder;
    this.encoder = null;
    this.encodedCommands = 0;
    this.device.pushErrorScope('validation');
    this.device.queue.submit([encoder.finish()]);
    this.submitCount++;
    this.track(
      this.device.popErrorScope().then((error) => {
        if (error) this.errors.push(new GPUError(`WebGPU validation error: ${error.message}`));
      }),
    );
    this.pool.onSubmit();
    this.destroyRetired();
  }

  /** Submits pending work, waits for the GPU, and throws the first GPU error seen (naming its kernel). */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  /** Throws the first error reported by the GPU so far (compile errors, validation errors, device loss). */
  async checkErrors(): Promise<void> {
    await Promise.all([...this.pendingChecks]);
    this.throwPendingErrors();
  }

  /** Keeps an error check until it settles. */
  private track(check: Promise<void>): void {
    const settled = check.finally(() => this.pendingChecks.delete(settled));
    this.pendingChecks.add(settled);
  }

  private throwPendingErrors(): void {
    if (this.lostMessage) throw new GPUError(this.lostMessage);
    const error = this.errors.shift();
    if (error) {
      this.errors.length = 0;
      throw error;
    }
  }

  /** Copies a buffer's first `bytes` bytes to the CPU. */
  async readBuffer(buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    this.assertUsable();
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const staging = this.device.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST, label: 'read-back' });
    this.copyBuffer(buffer, 0, staging, 0, size);
    try {
      this.flush();
    } catch (error) {
      // An error already seen may be the consequence of one still being checked (a compile error is
      // reported after the bind groups made from its pipeline fail): let the checks settle, cause first.
      await this.checkErrors();
      throw error;
    }
    try {
      await staging.mapAsync(MapModeRead);
      const copy = staging.getMappedRange().slice(0, bytes);
      staging.unmap();
      await this.checkErrors();
      return copy;
    } finally {
      staging.destroy();
    }
  }

  assertUsable(): void {
    if (this.destroyed) throw new Error('this webrnn context was destroyed');
    if (this.lostMessage) throw new GPUError(this.lostMessage);
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Frees every buffer and the device (unless the device was passed in). */
  destroy(): void {
    if (this.destroyed) return;
    this.closePass();
    this.encoder = null;
    this.timer?.destroy();
    this.timer = null;
    this.destroyed = true;
    // Everything this context made goes, also on a device it shares (which stays).
    this.pool.destroyAll();
    this.dummy?.destroy();
    this.dummy = null;
    for (const u of this.uniforms.values()) u.destroy();
    this.uniforms.clear();
    this.destroyRetired();
    this.bindGroups.clear();
    if (this.ownsDevice) this.device.destroy();
  }
}

// Set by ops/elementwise.ts, which owns the fill kernel (avoids an import cycle).
let fillImpl: (ctx: Context, buffer: GPUBuffer, value: number, count: number) => void = () => {
  throw new Error('webrnn: ops not loaded');
};
export function setFillImpl(fn: typeof fillImpl): void {
  fillImpl = fn;
}

/** The bit pattern of a float32, for passing floats in the u32 params array. */
const f32buf = new Float32Array(1);
const u32view = new Uint32Array(f32buf.buffer);
export function f32bits(x: number): number {
  f32buf[0] = x;
  return u32view[0];
}
