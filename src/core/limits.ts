// The one size check, made before anything is allocated on the CPU or the GPU: a tensor, a layer or a model
// lists its buffers as [what, elements], and checkAllocation throws a RangeError naming the bytes, the limit
// and the option to lower. Every buffer is bound whole, so each must fit maxStorageBufferBindingSize as well
// as maxBufferSize; the pool rounds requests up to size classes, but never past that bound (pool.ts).

/** Every element is a 32-bit word (float32 or int32). */
export const BYTES_PER_ELEMENT = 4;

export interface AllocationLimits {
  /** The device's maxBufferSize (or lower, for tests). */
  maxBufferSize: number;
  /** The device's maxStorageBufferBindingSize (or lower, for tests): whole buffers are bound. */
  maxStorageBufferBindingSize: number;
  /** Most bytes a context's live buffers may hold together (Infinity: no cap; WebGPU does not say how much
   *  memory a GPU has). Set with init({ memoryBudget }). */
  memoryBudget: number;
}

/** A buffer to be made: what it holds (for the message, e.g. 'weight_hh_l0 [64, 16]'), its elements, and
 *  optionally the option to lower for this buffer (else the call's). */
export type Allocation = readonly [what: string, elements: number, lower?: string];

/** What the context gives the check: its limits and the bytes its live buffers hold now. */
export interface AllocationTarget {
  readonly allocationLimits: Readonly<AllocationLimits>;
  readonly pool: { readonly liveBytes: number };
}

/** The largest buffer the pool hands out: within both limits, since every buffer is bound whole. */
export function maxBufferBytes(limits: Readonly<AllocationLimits>): number {
  return Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
}

/** Rounds a request up to a size class (powers of two and 1.5x powers of two, at least 256 bytes). */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.ceil(Math.log2(bytes));
  return p * 0.75 >= bytes ? p * 0.75 : p;
}

/** The bytes the pool makes for a request: its size class, or the exact size where the class would not fit. */
export function pooledSize(bytes: number, limits: Readonly<AllocationLimits>): number {
  const size = sizeClass(Math.max(BYTES_PER_ELEMENT, bytes));
  return size <= maxBufferBytes(limits) ? size : bytes;
}

/**
 * Throws a RangeError, before anything is made, when one of the buffers is larger than a buffer may be on this
 * adapter, or when all of them together (as the pool rounds them) would take the context's live bytes past
 * its memoryBudget. `owner` starts the message ('LSTM', 'zeros'); `lower` names the option to lower
 * ('hiddenSize or inputSize'). Returns the bytes the buffers will take.
 */
export function checkAllocation(
  target: AllocationTarget, owner: string, allocations: readonly Allocation[], lower: string, totalWhat = 'its buffers',
): number {
  const limits = target.allocationLimits;
  const cap = maxBufferBytes(limits);
  let total = 0;
  for (const [what, elements, lowerThis] of allocations) {
    if (typeof elements !== 'number' || !(elements >= 0) || !Number.isFinite(elements)) {
      throw new RangeError(`${owner}: ${what} has an invalid element count (${String(elements)})`);
    }
    const bytes = elements * BYTES_PER_ELEMENT;
    if (bytes > cap) {
      const limitName = limits.maxStorageBufferBindingSize <= limits.maxBufferSize
        ? 'maxStorageBufferBindingSize (every buffer is bound whole)' : 'maxBufferSize';
      throw new RangeError(
        `${owner}: ${what} needs ${formatBytes(bytes)}, over this adapter's ${limitName} of ${formatBytes(cap)}; lower ${lowerThis ?? lower}`,
      );
    }
    total += pooledSize(bytes, limits);
  }
  const live = target.pool.liveBytes;
  if (live + total > limits.memoryBudget) {
    throw new RangeError(
      `${owner}: ${totalWhat} need ${formatBytes(total)}, and with the ${formatBytes(live)} already in use that is over ` +
        `the context's memoryBudget of ${formatBytes(limits.memoryBudget)}; lower ${lower}`,
    );
  }
  return total;
}

/** A model's parameters and what training them adds, for its size estimate: a gradient and Adam's two moments
 *  each (the largest optimizer state; activations depend on the batch and are checked as they are made). */
export function withTrainingState(parameters: readonly Allocation[]): Allocation[] {
  const out: Allocation[] = [...parameters];
  for (const suffix of ['gradient', 'exp_avg', 'exp_avg_sq']) {
    for (const [what, elements, lower] of parameters) out.push([`${what} ${suffix}`, elements, lower]);
  }
  return out;
}

/** What checkAllocation's total names for a model's withTrainingState list. */
export const TRAINING_STATE = "its parameters with their gradients and Adam's two moments";

/** "1.5 MiB (1572864 bytes)": exact for the record, rounded for reading. */
export function formatBytes(bytes: number): string {
  const exact = `${bytes} bytes`;
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB (${exact})`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB (${exact})`;
  if (bytes >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(1)} KiB (${exact})`;
  return exact;
}
