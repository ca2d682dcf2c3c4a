import { makeRng, shuffleInPlace } from './rng.js';

/** One minibatch: row-major [batchSize, numSteps] inputs and next-character targets. */
export interface Batch {
  X: Int32Array;
  Y: Int32Array;
}

export type Sampling = 'random' | 'consecutive';

/** Batches per epoch for a corpus of `length` characters (0 when it is too short for one). */
export function numBatches(length: number, batchSize: number, numSteps: number, sampling: Sampling): number {
  checkPositiveInteger('batchSize', batchSize);
  checkPositiveInteger('numSteps', numSteps);
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
  if (sampling === 'random') return Math.max(0, Math.floor(Math.floor((length - 1) / numSteps) / batchSize));
  if (sampling === 'consecutive') return Math.max(0, Math.floor((Math.floor(length / batchSize) - 1) / numSteps));
  throw new RangeError(`unknown sampling ${JSON.stringify(sampling)}`);
}

/** Fewest characters giving one batch: random needs batchSize·numSteps + 1, consecutive batchSize·(numSteps + 1). */
export function minCorpusLength(batchSize: number, numSteps: number, sampling: Sampling): number {
  return sampling === 'random' ? batchSize * numSteps + 1 : batchSize * (numSteps + 1);
}

/**
 * d2l `data_iter_random`: the corpus is cut into (len - 1) // numSteps non-overlapping
 * examples, shuffled, and served batchSize at a time; each example appears at most once
 * per epoch. One call = one epoch. Validation happens here, not at the first `next()`.
 */
export function randomIter(
  indices: ArrayLike<number>,
  batchSize: number,
  numSteps: number,
  opts: { seed?: number } = {},
): Iterable<Batch> {
  const epochSize = checkedEpochSize(indices.length, batchSize, numSteps, 'random');
  const numExamples = Math.floor((indices.length - 1) / numSteps);
  const order = shuffleInPlace(Array.from({ length: numExamples }, (_, i) => i), makeRng(opts.seed));
  return (function* () {
    for (let i = 0; i < epochSize; i++) {
      const X = new Int32Array(batchSize * numSteps);
      const Y = new Int32Array(batchSize * numSteps);
      for (let row = 0; row < batchSize; row++) {
        const start = order[i * batchSize + row]! * numSteps;
        copyWindow(indices, start, numSteps, X, row * numSteps);
        copyWindow(indices, start + 1, numSteps, Y, row * numSteps);
      }
      yield { X, Y };
    }
  })();
}

/**
 * d2l `data_iter_consecutive`: the corpus is split into batchSize contiguous streams
 * (rows of length len // batchSize); successive batches continue each stream, so a
 * hidden state can be carried from one batch to the next.
 */
export function consecutiveIter(indices: ArrayLike<number>, batchSize: number, numSteps: number): Iterable<Batch> {
  const epochSize = checkedEpochSize(indices.length, batchSize, numSteps, 'consecutive');
  const batchLen = Math.floor(indices.length / batchSize);
  return (function* () {
    for (let i = 0; i < epochSize; i++) {
      const X = new Int32Array(batchSize * numSteps);
      const Y = new Int32Array(batchSize * numSteps);
      for (let row = 0; row < batchSize; row++) {
        const start = row * batchLen + i * numSteps;
        copyWindow(indices, start, numSteps, X, row * numSteps);
        copyWindow(indices, start + 1, numSteps, Y, row * numSteps);
      }
      yield { X, Y };
    }
  })();
}

function copyWindow(src: ArrayLike<number>, start: number, count: number, dst: Int32Array, at: number): void {
  for (let k = 0; k < count; k++) dst[at + k] = src[start + k]!;
}

function checkedEpochSize(length: number, batchSize: number, numSteps: number, sampling: Sampling): number {
  const epochSize = numBatches(length, batchSize, numSteps, sampling);
  if (epochSize === 0) {
    throw new RangeError(
      `corpus of ${length} characters is too short for one batch of batchSize ${batchSize} × numSteps ${numSteps}` +
        ` (${sampling} sampling): need at least ${minCorpusLength(batchSize, numSteps, sampling)}`,
    );
  }
  return epochSize;
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}
