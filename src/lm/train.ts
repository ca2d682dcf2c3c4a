// The textbook's train_and_predict_rnn on the GPU: sample batches, forward, mean cross-entropy, BPTT, clip,
// update, one command buffer per step; the per-step losses stay on the GPU and are read once per epoch.
// The step is captured (Context.capture) and replayed: after its first runs no JavaScript builds it again.
import type { Tensor } from '../core/tensor.js';
import { crossEntropy } from '../ops/cross_entropy.js';
import { clipGradNorm } from '../nn/utils.js';
import { SGD } from '../optim/sgd.js';
import { Adam } from '../optim/adam.js';
import { Optimizer } from '../optim/optimizer.js';
import { randomIter, consecutiveIter, sequentialIter, numBatches, minCorpusLength, type Sampling } from '../data/iter.js';
import { type CharRNN, disposeState } from './charrnn.js';
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
  /** Capture the training step once and replay it (default true): bit-identical results for a fraction of the
   *  CPU time per step. false builds every step anew (tape, bind groups), as a reference or for debugging. */
  capture?: boolean;
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
  // The step's inputs and its carried state live in fixed tensors: each batch is written into them, and the step
  // copies its new state into `state` (what the next batch starts from, cut from the graph as detach() would).
  // (From CPU data, not zeros(): its fill kernel would run after the first batch's queue write.)
  const x = ctx.tensor(new Int32Array(batchSize * numSteps), [batchSize, numSteps], 'int32');
  const y = ctx.tensor(new Int32Array(numSteps * batchSize), [numSteps * batchSize], 'int32');
  const state = model.beginState(batchSize);
  const stateTensors = Array.isArray(state) ? state : [state];
  const stepFn = (): Tensor => {
    const [logits, newState] = model.forward(x, state);
    const loss = crossEntropy(logits, y);
    optimizer.zeroGrad();
    loss.backward();
    const norm = clipTheta === undefined ? null : clipGradNorm(params, clipTheta);
    const next = Array.isArray(newState) ? newState : [newState];
    next.forEach((t, i) => ctx.copyBuffer(t.buffer, 0, stateTensors[i].buffer, 0, t.numel * 4));
    optimizer.step(); // submits the step's command buffer
    for (const t of [logits, norm, ...next]) t?.dispose();
    return loss;
  };
  // The state is an input too: zeroed from the CPU where a batch starts afresh.
  const stateInputs: Record<string, Tensor> = stateTensors.length === 2 ? { h: stateTensors[0], c: stateTensors[1] } : { h: stateTensors[0] };
  const zeroState = new Float32Array(stateTensors[0].numel);
  const zeroInputs = Object.fromEntries(Object.keys(stateInputs).map((name) => [name, zeroState]));
  const captured = opts.capture === false ? null : ctx.capture(stepFn, { inputs: { x, y, ...stateInputs } });
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (opts.signal?.aborted) break;
      const start = now();
      const stepLosses = ctx.empty([batches], 'float32', 'step-losses'); // slot s is written by step s
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
          // Random sampling starts every batch from a zero state; the others carry it over within an epoch.
          const fresh = sampling === 'random' || step === 0;
          const targets = timeMajor(Y, batchSize, numSteps);
          let loss: Tensor;
          if (captured) {
            loss = captured.run(fresh ? { x: X, y: targets, ...zeroInputs } : { x: X, y: targets });
          } else {
            // Fresh writes: the last step's reads of these were submitted by the flush that ended it.
            ctx.writeBuffer(x.buffer, 0, X, true);
            ctx.writeBuffer(y.buffer, 0, targets, true);
            if (fresh) for (const t of stateTensors) ctx.writeBuffer(t.buffer, 0, zeroState, true);
            x.cpuData = X; // the ops check ids they can see on the CPU
            y.cpuData = targets;
            loss = stepFn();
          }
          ctx.copyBuffer(loss.buffer, 0, stepLosses.buffer, 4 * step, 4);
          // A captured step's loss is its own (rewritten by every replay), and a replay submits nothing itself.
          if (captured) ctx.flush();
          else loss.dispose();
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
    captured?.dispose();
    disposeState(state);
    x.dispose();
    y.dispose();
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
