// GPU time from timestamp queries: each compute pass (or, per dispatch, each dispatch in a pass of its own) writes
// a timestamp when it begins and when it ends. Used by the bench to say whether a step is bound by the GPU or by
// the CPU that encodes it; Context.startGpuTimer / stopGpuTimer are the public face.
import { BufferUsage } from './gpu-constants.js';

/** What a timed stretch of work cost on the GPU. */
export interface GpuTimes {
  /** Sum of the timed passes' durations, in milliseconds. */
  totalMs: number;
  /** Passes timed (with perDispatch: dispatches). */
  passes: number;
  /** Per kernel label (perDispatch), or one 'pass' entry: milliseconds and count, largest first. */
  byKernel: { label: string; ms: number; count: number }[];
}

export interface GpuTimerOptions {
  /** Time every dispatch on its own (each in a pass of its own) to attribute time to kernels. */
  perDispatch?: boolean;
}

/** Timestamp pairs per query set; resolved into a fresh buffer each time the set fills up. */
const PAIRS = 1024;
const QUERY_RESOLVE = 0x0200;

interface Chunk {
  buffer: GPUBuffer; // [pairs, 2] u64 timestamps (ns)
  labels: string[]; // [pairs]
}

export class GpuTimer {
  readonly perDispatch: boolean;
  private readonly querySet: GPUQuerySet;
  private labels: string[] = [];
  private readonly chunks: Chunk[] = [];

  constructor(private readonly device: GPUDevice, options: GpuTimerOptions = {}) {
    this.perDispatch = options.perDispatch ?? false;
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 * PAIRS, label: 'webrnn gpu timer' });
  }

  /** The descriptor for the next pass: its begin/end timestamps go to the next free pair. */
  passDescriptor(encoder: GPUCommandEncoder, label: string): GPUComputePassDescriptor {
    if (this.labels.length === PAIRS) this.resolve(encoder);
    const pair = this.labels.length;
    this.labels.push(label);
    return {
      label: 'webrnn',
      timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * pair, endOfPassWriteIndex: 2 * pair + 1 },
    };
  }

  /** Encodes the copy of the used pairs into a buffer of their own, so the query set can be reused. */
  resolve(encoder: GPUCommandEncoder): void {
    if (this.labels.length === 0) return;
    const buffer = this.device.createBuffer({ size: 16 * PAIRS, usage: QUERY_RESOLVE | BufferUsage.COPY_SRC, label: 'gpu timer' });
    encoder.resolveQuerySet(this.querySet, 0, 2 * this.labels.length, buffer, 0);
    this.chunks.push({ buffer, labels: this.labels });
    this.labels = [];
  }

  /** Reads every resolved pair (after the caller submitted the resolves) and frees the timer's GPU objects. */
  async read(readBuffer: (buffer: GPUBuffer, bytes: number) => Promise<ArrayBuffer>): Promise<GpuTimes> {
    const perLabel = new Map<string, { ms: number; count: number }>();
    let totalMs = 0;
    let passes = 0;
    try {
      for (const chunk of this.chunks) {
        const stamps = new BigUint64Array(await readBuffer(chunk.buffer, 16 * chunk.labels.length));
        chunk.labels.forEach((label, i) => {
          // Timestamps are not guaranteed monotonic (e.g. across a GPU clock change): a negative span counts as 0.
          const ms = Math.max(0, Number(stamps[2 * i + 1] - stamps[2 * i])) / 1e6;
          const entry = perLabel.get(label) ?? { ms: 0, count: 0 };
          entry.ms += ms;
          entry.count++;
          perLabel.set(label, entry);
          totalMs += ms;
          passes++;
        });
      }
    } finally {
      this.destroy();
    }
    const byKernel = [...perLabel].map(([label, e]) => ({ label, ...e })).sort((a, b) => b.ms - a.ms);
    return { totalMs, passes, byKernel };
  }

  destroy(): void {
    for (const c of this.chunks) c.buffer.destroy();
    this.chunks.length = 0;
    this.querySet.destroy();
  }
}
