import { makeRng, shuffleInPlace } from './rng.js';
import { positiveInteger } from '../core/validate.js';

/** One minibatch: row-major [batchSize, numSteps] inputs and next-character targets. */
export interface Batch {
  X: Int32Array;
  Y: Int32Array;
}

/** 'random' and 'consecutive': the 1st edition's iterators; 'sequential': the 2nd edition's (random offset). */
export type Sampling = 'random' | 'consecutive' | 'sequential';

/**
 * Batches per epoch for a corpus of `length` characters (0 when it is too short for one). For 'sequential' the
 * most, at offset 0: an epoch that drops more characters may have one fewer.
 */
export function numBatches(length: number, batchSize: number, numSteps: number, sampling: Sampling): number {
  checkPositiveInteger('batchSize', batchSize);
  checkPositiveInteger('numSteps', numSteps);
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
  if (sampling === 'random') return Math.max(0, Math.floor(Math.floor((length - 1) / numSteps) / batchSize));
  if (sampling === 'consecutive') return Math.max(0, Math.floor((Math.floor(length / batchSize) - 1) / numSteps));
  if (sampling === 'sequential') return sequentialBatches(length, batchSize, numSteps, 0);
  throw new RangeError(`unknown sampling ${JSON.stringify(sampling)}`);
}

/**
 * Fewest characters giving one batch: random needs batchSize·numSteps + 1, consecutive batchSize·(numSteps + 1),
 * sequential batchSize·numSteps + numSteps + 1 (one batch even after the largest offset).
 */
export function minCorpusLength(batchSize: number, numSteps: number, sampling: Sampling): number {
  if (sampling === 'random') return batchSize * numSteps + 1;
  if (sampling === 'consecutive') return batchSize * (numSteps + 1);
  return batchSize * numSteps + numSteps + 1;
}

function sequentialBatches(length: number, batchSize: number, numSteps: number, offset: number): number {
  return Math.max(0, Math.floor(Math.floor((length - offset - 1) / batchSize) / numSteps));
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
  return batches(indices, batchSize, numSteps, epochSize, (i, row) => order[i * batchSize + row]! * numSteps);
}

/**
 * d2l `data_iter_consecutive`: the corpus is split into batchSize contiguous streams
 * (rows of length len // batchSize); successive batches continue each stream, so a
 * hidden state can be carried from one batch to the next.
 */
export function consecutiveIter(indices: ArrayLike<number>, batchSize: number, numSteps: number): Iterable<Batch> {
  const epochSize = checkedEpochSize(indices.length, batchSize, numSteps, 'consecutive');
  const batchLen = Math.floor(indices.length / batchSize);
  return batches(indices, batchSize, numSteps, epochSize, (i, row) => row * batchLen + i * numSteps);
}

/**
 * d2l 2nd edition `seq_data_iter_sequential`: drop the first `offset` characters (random in [0, numSteps] each
 * call, as random.randint(0, num_steps); or given), split the next ⌊(len − offset − 1) / batchSize⌋·batchSize
 * into batchSize contiguous streams, and serve numSteps of each at a time, so a state can be carried over as with
 * consecutiveIter. One call = one epoch.
 */
export function sequentialIter(
  indices: ArrayLike<number>,
  batchSize: number,
  numSteps: number,
  opts: { seed?: number; offset?: number } = {},
): Iterable<Batch> {
  checkedEpochSize(indices.length, batchSize, numSteps, 'sequential');
  const offset = opts.offset ?? Math.floor(makeRng(opts.seed)() * (numSteps + 1));
  if (!Number.isInteger(offset) || offset < 0 || offset > numSteps) {
    throw new RangeError(`offset must be an integer in [0, numSteps = ${numSteps}], got ${offset}`);
  }
  const rowLen = Math.floor((indices.length - offset - 1) / batchSize);
  const epochSize = sequentialBatches(indices.length, batchSize, numSteps, offset);
  return batches(indices, batchSize, numSteps, epochSize, (i, row) => offset + row * rowLen + i * numSteps);
}

/**
 * The one window generator the three iterators share: batch i holds, in row `row`, the numSteps characters from
 * rowStart(i, row) as inputs and the same window one character later as targets.
 */
function* batches(
  indices: ArrayLike<number>,
  batchSize: number,
  numSteps: number,
  epochSize: number,
  rowStart: (batch: number, row: number) => number,
): Generator<Batch> {
  for (let i = 0; i < epochSize; i++) {
    const X = new Int32Array(batchSize * numSteps);
    const Y = new Int32Array(batchSize * numSteps);
    for (let row = 0; row < batchSize; row++) {
      const start = rowStart(i, row);
      for (let k = 0; k < numSteps; k++) {
        X[row * numSteps + k] = indices[start + k]!;
        Y[row * numSteps + k] = indices[start + 1 + k]!;
      }
    }
    yield { X, Y };
  }
}

function checkedEpochSize(length: number, batchSize: number, numSteps: number, sampling: Sampling): number {
  const epochSize = numBatches(length, batchSize, numSteps, sampling);
  if (length < minCorpusLength(batchSize, numSteps, sampling)) {
    throw new RangeError(
      `corpus of ${length} characters is too short for one batch of batchSize ${batchSize} × numSteps ${numSteps}` +
        ` (${sampling} sampling): need at least ${minCorpusLength(batchSize, numSteps, sampling)}`,
    );
  }
  return epochSize;
}

/** The iterators' messages carry no owner prefix: they name the argument alone. */
function checkPositiveInteger(name: string, value: number): void {
  positiveInteger(value, name, '');
}
