import { BufferUsage } from './gpu-constants.js';
import { BYTES_PER_ELEMENT, checkAllocation, maxBufferBytes, pooledSize, type AllocationLimits } from './limits.js';

const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

/**
 * Reuses storage buffers by size class. A released buffer may still be read by commands that are
 * encoded but not yet submitted, so it only becomes reusable after the next submit (`onSubmit`).
 */
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private pending: GPUBuffer[] = [];
  liveBuffers = 0;
  liveBytes = 0;
  pooledBuffers = 0;
  pooledBytes = 0;
  private nextId = 1;
  /** Every buffer this pool made and has not destroyed: live, pending or free. */
  private readonly all = new Set<GPUBuffer>();
  readonly ids = new WeakMap<GPUBuffer, number>();
  /** Buffers a captured step uses (capture.ts), with how many captures hold each: not reused while held. */
  private readonly reserved = new Map<GPUBuffer, number>();
  /** Reserved buffers their tensors have released: they go back to the pool when the last capture lets go. */
  private readonly releasedWhileReserved = new Set<GPUBuffer>();

  /** `limits` is the context's (read at every request: tests lower them). */
  constructor(private readonly device: GPUDevice, private readonly limits: Readonly<AllocationLimits>) {}

  /** A buffer of at least `bytes` (a multiple of 4), rounded up to its size class where that still fits the
   *  limits (whole buffers are bound, so a class past maxStorageBufferBindingSize would be unusable). The
   *  context checks sizes before it asks; the check here only guards other callers. */
  acquire(bytes: number, label: string): GPUBuffer {
    if (bytes > maxBufferBytes(this.limits)) {
      checkAllocation({ allocationLimits: this.limits, pool: this }, 'BufferPool', [[`buffer "${label}"`, bytes / BYTES_PER_ELEMENT]], 'its size');
    }
    const size = pooledSize(bytes, this.limits);
    const list = this.free.get(size);
    const reused = list?.pop();
    if (reused) {
      this.pooledBuffers--;
      this.pooledBytes -= reused.size;
      this.liveBuffers++;
      this.liveBytes += reused.size;
      if (reused.label !== label) reused.label = label;
      return reused;
    }
    return this.create(size, label);
  }

  private create(size: number, label: string): GPUBuffer {
    const buffer = this.device.createBuffer({ size, usage: STORAGE_USAGE, label });
    this.ids.set(buffer, this.nextId++);
    this.all.add(buffer);
    this.liveBuffers++;
    this.liveBytes += size;
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (this.reserved.has(buffer)) {
      this.releasedWhileReserved.add(buffer); // still counted as live: a capture holds it
      return;
    }
    this.liveBuffers--;
    this.liveBytes -= buffer.size;
    this.pending.push(buffer);
  }

  /** Keeps a buffer of this pool from being handed out again until unreserve() (a captured step replays it). */
  reserve(buffer: GPUBuffer): void {
    if (!this.all.has(buffer)) return; // not a pooled buffer (the dummy, a caller's own): nothing to hold back
    this.reserved.set(buffer, (this.reserved.get(buffer) ?? 0) + 1);
  }

  unreserve(buffer: GPUBuffer): void {
    const n = this.reserved.get(buffer);
    if (n === undefined) return;
    if (n > 1) {
      this.reserved.set(buffer, n - 1);
      return;
    }
    this.reserved.delete(buffer);
    if (this.releasedWhileReserved.delete(buffer)) this.release(buffer);
  }

  /** Called after a submit: buffers released before it are now safe to hand out again. */
  onSubmit(): void {
    if (this.pending.length === 0) return;
    const touched = new Set<GPUBuffer[]>();
    for (const b of this.pending) {
      let list = this.free.get(b.size);
      if (!list) {
        list = [];
        this.free.set(b.size, list);
      }
      list.push(b);
      touched.add(list);
      this.pooledBuffers++;
      this.pooledBytes += b.size;
    }
    this.pending = [];
    // Hand buffers out lowest id first: a training step that acquires the same sizes in the same order then
    // gets the same buffers every step, so its bind groups come from the cache instead of being created anew.
    for (const list of touched) list.sort((a, b) => this.idOf(b) - this.idOf(a));
  }

  /** Destroys every buffer, in use or not (the context is going away; a shared device stays). */
  destroyAll(): void {
    for (const b of this.all) b.destroy();
    this.all.clear();
    this.free.clear();
    this.reserved.clear();
    this.releasedWhileReserved.clear();
    this.pending = [];
    this.pooledBuffers = this.pooledBytes = this.liveBuffers = this.liveBytes = 0;
  }

  idOf(buffer: GPUBuffer): number {
    let id = this.ids.get(buffer);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(buffer, id);
    }
    return id;
  }
}
