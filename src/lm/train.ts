// The textbook's train_and_predict_rnn on the GPU: sample batches, forward, mean cross-entropy, BPTT, clip,
// update, one command buffer per step; the per-step losses stay on the GPU and are read once per epoch.
import type { Tensor } from '../core/tensor.js';
import { crossEntropy } from '../ops/cross_entropy.js';
import { copyBlockInto } from '../ops/layout.js';
import { clipGradNorm } from '../nn/utils.js';
import { SGD } from '../optim/sgd.js';
import { Adam } from '../optim/adam.js';
import { Optimizer } from '../optim/optimizer.js';
import { randomIter, consecutiveIter, sequentialIter, numBatches, minCorpusLength, type Sampling } from '../data/iter.js';
import { type CharRNN, type RNNState, detachState, disposeState } from './charrnn.js';
import { positiveInteger, positiveNumber } from '../core/validate.js';

export interface TrainOptions {
  epochs: number;
  numSteps: number;
  batchSize: number;
  lr: number;
  /** Clip the global gradient norm to this (the textbook's clipping_theta); omit for no clipping. */
  clipTheta?: number;
  /** 'sgd' (the textbook's from-scratch runs) or 'adam' (its concise runs), made fresh for this call; or an
   *  optimizer instance the caller keeps, so a later train() call resumes with its state (e.g. Adam's moments). */
  optimizer?: 'sgd' | 'adam' | Optimizer;
  betas?: [number, number];
  /** 'random' (a fresh zero state every batch), 'consecutive' or 'sequential' (the 2nd edition's, from a random
   *  offset each epoch): the state is carried over between batches, detached. */
  sampling?: Sampling;
  /** Seed for random sampling and the sequential offsets (default: Math.random). */
  seed?: number;
  /** Called after every epoch with its record; may be async (e.g. to draw samples). */
  onEpoch?: (record: EpochRecord) => void | Promise<void>;
  /** Called with each step's loss, read back without waiting for the GPU (one read in flight at a time, so a
   *  few steps late, always in order, and every step of an epoch before its onEpoch). */
  onStepLoss?: (record: StepRecord) => void;
  /** Stops training at the next step; train() then resolves with the epochs completed. */
  signal?: AbortSignal;
  /** Awaited between steps, e.g. () => new Promise(r => setTimeout(r)) to keep a page responsive. */
  yieldBetweenSteps?: () => Promise<void>;
}

export interface StepRecord {
  epoch: number;
  step: number; // 1-based within the epoch
  loss: number;
}

export interface EpochRecord {
  epoch: number; // 1-based, as the textbook prints it
  perplexity: number;
  tokensPerSecond: number;
  seconds: number;
}

/** Thrown when the loss turns NaN or infinite; names the epoch and step. */
export class NonFiniteLossError extends Error {
  constructor(readonly epoch: number, readonly step: number, readonly value: number) {
    super(`the loss became ${value} at epoch ${epoch}, step ${step}: training diverged; try a lower learning rate (or clipping)`);
    this.name = 'NonFiniteLossError';
  }
}


const now = (): number => (globalThis.performance ?? Date).now();

export async function train(model: CharRNN, indices: ArrayLike<number>, opts: TrainOptions): Promise<EpochRecord[]> {
  const epochs = positiveInteger(opts.epochs, 'epochs', 'train');
  const numSteps = positiveInteger(opts.numSteps, 'numSteps', 'train');
  const batchSize = positiveInteger(opts.batchSize, 'batchSize', 'train');
  const lr = positiveNumber(opts.lr, 'lr', 'train');
  const clipTheta = opts.clipTheta === undefined ? undefined : positiveNumber(opts.clipTheta, 'clipTheta', 'train');
  const sampling: Sampling = opts.sampling ?? 'random';
  if (sampling !== 'random' && sampling !== 'consecutive' && sampling !== 'sequential') {
    throw new RangeError(`train: sampling must be 'random', 'consecutive' or 'sequential', got ${String(sampling)}`);
  }
  if (indices.length === 0) throw new RangeError('train: the corpus is empty');
  const batches = numBatches(indices.length, batchSize, numSteps, sampling); // sequential: the most in an epoch
  if (indices.length < minCorpusLength(batchSize, numSteps, sampling)) {
    throw new RangeError(
      `train: a corpus of ${indices.length} characters is too short for one batch of batchSize ${batchSize} × numSteps ${numSteps} ` +
        `(${sampling} sampling needs at least ${minCorpusLength(batchSize, numSteps, sampling)})`,
    );
  }
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i];
    if (!(v >= 0 && v < model.vocabSize) || !Number.isInteger(v)) {
      throw new RangeError(`train: token id ${v} at position ${i} is outside the model's vocabulary [0, ${model.vocabSize})`);
    }
  }
  const ctx = model.ctx;
  const params = model.parameters();
  const given = opts.optimizer instanceof Optimizer ? opts.optimizer : null;
  if (opts.optimizer !== undefined && !given && opts.optimizer !== 'sgd' && opts.optimizer !== 'adam') {
    throw new RangeError(`train: optimizer must be 'sgd', 'adam' or an Optimizer, got ${String(opts.optimizer)}`);
  }
  if (given && given.params.length !== params.length) {
    throw new RangeError(`train: the optimizer holds ${given.params.length} parameters but the model has ${params.length}`);
  }
  if (given) {
    // Same count is not enough: an optimizer made for another model would step that model and leave this one as it was.
    const held = new Set<unknown>(given.params);
    const foreign = [...model.namedParameters()].find(([, p]) => !held.has(p));
    if (foreign) throw new RangeError(`train: the optimizer does not hold this model's parameter ${foreign[0]} (was it made for another model?)`);
  }
  if (given) given.lr = lr;
  const optimizer: Optimizer = given ?? (opts.optimizer === 'adam' ? new Adam(params, { lr, betas: opts.betas }) : new SGD(params, { lr }));
  const rngSeed = opts.seed;
  const history: EpochRecord[] = [];
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (opts.signal?.aborted) break;
      const start = now();
      const stepLosses = ctx.zeros([batches], 'float32', 'step-losses');
      let state: RNNState | null = null;
      let step = 0;
      let sum = 0;
      // Per-step losses for onStepLoss: the steps [0, reported) have been reported.
      let reported = 0;
      let lossRead: Promise<void> | null = null;
      const report = (upto: number, losses: Float32Array) => {
        for (; reported < upto; reported++) opts.onStepLoss!({ epoch, step: reported + 1, loss: losses[reported]! });
      };
      // try/finally: an error mid-epoch (a GPU error, a diverged loss) leaves no buffer behind.
      try {
        const seed = rngSeed === undefined ? undefined : rngSeed + epoch;
        const iter = sampling === 'random' ? randomIter(indices, batchSize, numSteps, { seed })
          : sampling === 'sequential' ? sequentialIter(indices, batchSize, numSteps, { seed })
          : consecutiveIter(indices, batchSize, numSteps);
        for (const { X, Y } of iter) {
          if (opts.signal?.aborted) break;
          // Random sampling starts every batch from a zero state; the others carry it over, cut from the graph.
          if (sampling === 'random' || !state) {
            disposeState(state);
            state = null;
          } else {
            const detached = detachState(state);
            disposeState(state);
            state = detached;
          }
          const stepTensors: (Tensor | null)[] = [];
          try {
            const x = ctx.tensor(X, [batchSize, numSteps], 'int32');
            const y = ctx.tensor(timeMajor(Y, batchSize, numSteps), [numSteps * batchSize], 'int32');
            stepTensors.push(x, y);
            const [logits, newState] = model.forward(x, state);
            disposeState(state);
            state = newState;
            const loss = crossEntropy(logits, y);
            stepTensors.push(logits, loss);
            optimizer.zeroGrad();
            loss.backward();
            if (clipTheta !== undefined) stepTensors.push(clipGradNorm(params, clipTheta));
            copyBlockInto(stepLosses, loss, { rows: 1, cols: 1, srcStride: 0, srcOffset: 0, dstStride: 0, dstOffset: step });
            optimizer.step(); // submits the step's command buffer
          } finally {
            for (const t of stepTensors) t?.dispose();
          }
          step++;
          if (opts.onStepLoss && !lossRead) {
            const upto = step;
            lossRead = stepLosses.read().then((l) => report(upto, l as Float32Array), () => undefined).finally(() => { lossRead = null; });
          }
          if (opts.yieldBetweenSteps) await opts.yieldBetweenSteps();
        }
        if (step === 0) break;
        const losses = (await stepLosses.read()) as Float32Array;
        await lossRead;
        if (opts.onStepLoss) report(step, losses);
        for (let s = 0; s < step; s++) {
          if (!Number.isFinite(losses[s])) throw new NonFiniteLossError(epoch, s + 1, losses[s]);
          sum += losses[s];
        }
      } finally {
        disposeState(state);
        stepLosses.dispose();
      }
      const seconds = (now() - start) / 1000;
      // Every step has the same number of tokens, so the mean of step means is the textbook's l_sum / n.
      const record: EpochRecord = {
        epoch,
        perplexity: Math.exp(sum / step),
        tokensPerSecond: (step * batchSize * numSteps) / seconds,
        seconds,
      };
      history.push(record);
      await opts.onEpoch?.(record);
      if (opts.signal?.aborted) break; // the (possibly partial) epoch is reported, then we stop
    }
  } finally {
    optimizer.zeroGrad();
    if (!given) optimizer.dispose();
  }
  return history;
}

/** Y [B, T] row-major → the textbook's Y.T.flatten(): [T*B], row t*B + b. */
function timeMajor(Y: Int32Array, B: number, T: number): Int32Array {
  const out = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out[t * B + b] = Y[b * T + t];
  return out;
}
