// Example: is a first name on the female or the male list? A character-level classifier,
// Embedding → bidirectional GRU over a padded batch with `lengths` → Linear on both directions' final states,
// trained with crossEntropy and Adam (PyTorch's name-classification tutorial, with packed sequences).
//   npm run example -- names [--epochs N --hidden N ...]
import * as wr from '../src/index.js';
import type { Context, Tensor } from '../src/index.js';
import { positiveInteger, positiveNumber } from '../src/core/validate.js';
import { loadNames, type NamesData } from './datasets.js';

export const CLASSES = ['female', 'male'] as const;
export const PAD = '<pad>';
export const UNKNOWN = '<unk>';

export interface LabelledName {
  name: string;
  /** Index into CLASSES. */
  label: number;
}

export interface NamesSplit {
  train: LabelledName[];
  heldOut: LabelledName[];
  /** Names on both lists, left out (they have no single label). */
  dropped: string[];
}

/**
 * Lower-cased, de-duplicated names with their list as label, in a seeded random train / held-out split. A name on
 * both lists (Alexis, Jean, …) is dropped rather than given either label: keeping it would cap the attainable
 * accuracy and blur what the held-out figure says.
 */
export function splitNames(data: NamesData, heldOutFraction: number, seed: number): NamesSplit {
  if (!(heldOutFraction > 0 && heldOutFraction < 1)) throw new RangeError(`names: heldOutFraction must be in (0, 1), got ${heldOutFraction}`);
  const female = new Set(data.female.map((n) => n.toLowerCase()));
  const male = new Set(data.male.map((n) => n.toLowerCase()));
  const dropped = [...female].filter((n) => male.has(n)).sort();
  const both = new Set(dropped);
  const all: LabelledName[] = [
    ...[...female].filter((n) => !both.has(n)).map((name) => ({ name, label: 0 })),
    ...[...male].filter((n) => !both.has(n)).map((name) => ({ name, label: 1 })),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); // an order that does not depend on the files'
  wr.data.shuffleInPlace(all, wr.data.makeRng(seed));
  const nHeldOut = Math.round(all.length * heldOutFraction);
  return { heldOut: all.slice(0, nHeldOut), train: all.slice(nHeldOut), dropped };
}

/** Characters of the training names, after the padding id 0 and the unknown id 1. */
export function namesVocab(train: readonly LabelledName[]): wr.data.Vocab {
  const chars = [...new Set(train.flatMap((e) => [...e.name]))].sort();
  return new wr.data.Vocab([PAD, UNKNOWN, ...chars], { unknownToken: UNKNOWN });
}

export interface NameBatch {
  /** int32 [T, B], time-major, padded with 0 past each name's end; T = the longest name of the batch. */
  ids: Int32Array;
  T: number;
  B: number;
  lengths: Int32Array; // [B]
  labels: Int32Array; // [B]
}

export function encodeBatch(examples: readonly LabelledName[], vocab: wr.data.Vocab): NameBatch {
  const encoded = examples.map((e) => vocab.encode(e.name));
  const B = examples.length;
  const T = Math.max(...encoded.map((e) => e.length));
  const ids = new Int32Array(T * B); // 0 = PAD
  encoded.forEach((e, b) => e.forEach((id, t) => (ids[t * B + b] = id)));
  return { ids, T, B, lengths: Int32Array.from(encoded, (e) => e.length), labels: Int32Array.from(examples, (e) => e.label) };
}

export interface NameClassifierOptions {
  vocabSize: number;
  embeddingDim: number;
  hiddenSize: number;
  numLayers: number;
  dropout: number;
  seed: number;
}

export class NameClassifier extends wr.nn.Module {
  readonly embedding: wr.nn.Embedding;
  readonly rnn: wr.nn.GRU;
  readonly fc: wr.nn.Linear;

  constructor(ctx: Context, readonly opts: NameClassifierOptions) {
    super(ctx);
    const { vocabSize, embeddingDim, hiddenSize, numLayers, dropout, seed } = opts;
    this.embedding = this.registerModule('embedding', new wr.nn.Embedding(ctx, { numEmbeddings: vocabSize, embeddingDim, paddingIdx: 0, seed }));
    this.rnn = this.registerModule('rnn', new wr.nn.GRU(ctx, { inputSize: embeddingDim, hiddenSize, numLayers, dropout, bidirectional: true, seed: seed + 1 }));
    this.fc = this.registerModule('fc', new wr.nn.Linear(ctx, { inFeatures: 2 * hiddenSize, outFeatures: CLASSES.length, seed: seed + 2 }));
  }

  /** ids: int32 [T, B]; lengths one per row → logits [B, 2]. */
  forward(ids: Tensor, lengths: Int32Array): Tensor {
    const B = ids.shape[1];
    const { hiddenSize: H, numLayers: L } = this.opts;
    const temps: Tensor[] = [];
    try {
      const x = this.embedding.forward(ids); // [T, B, E]
      temps.push(x);
      const [output, hN] = this.rnn.forward(x, null, { lengths }); // output [T, B, 2H] (unused), hN [2L, B, H]
      temps.push(output, hN);
      // The last layer's forward state (after each name's own last character) and reverse state (after its first):
      // torch.cat((hN[-2], hN[-1]), dim=1).
      const last = L > 1 ? wr.ops.narrow0(hN, 2 * (L - 1), 2) : hN; // [2, B, H]
      if (last !== hN) temps.push(last);
      const both = wr.ops.transpose01(last); // [B, 2, H]
      temps.push(both);
      const features = both.reshape([B, 2 * H]); // [B, 2H]
      temps.push(features);
      return this.fc.forward(features); // [B, 2]
    } finally {
      for (const t of temps) t.dispose(); // the tape keeps what backward needs
    }
  }
}

export interface NamesOptions {
  /** Default: loadNames() (the two @stdlib packages). */
  data?: NamesData;
  /** Seeds the split, the initial weights, the batch order and dropout (default 1). */
  seed?: number;
  heldOutFraction?: number; // 0.2
  /** Train on at most this many names (a quick run; the held-out set stays whole). Default: all. */
  maxTrain?: number;
  embeddingDim?: number; // 16
  hiddenSize?: number; // 64
  numLayers?: number; // 1
  dropout?: number; // 0
  batchSize?: number; // 64
  epochs?: number; // 10
  lr?: number; // 5e-3
  /** After every epoch, with its mean training loss. */
  onEpoch?: (record: NamesEpoch) => void;
}

export interface NamesEpoch {
  epoch: number;
  trainLoss: number;
}

export interface NamesResult {
  heldOutAccuracy: number;
  /** Accuracy on the held-out names of always answering the training set's most common class. */
  majorityAccuracy: number;
  majorityClass: (typeof CLASSES)[number];
  trainSize: number;
  heldOutSize: number;
  /** Names on both lists, dropped. */
  dropped: number;
  vocabSize: number;
  history: NamesEpoch[];
}

/** Held-out accuracy in eval mode, batch by batch (no tape). */
async function accuracy(model: NameClassifier, examples: readonly LabelledName[], vocab: wr.data.Vocab, batchSize: number): Promise<number> {
  const ctx = model.ctx;
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  try {
    for (let i = 0; i < examples.length; i += batchSize) {
      const batch = encodeBatch(examples.slice(i, i + batchSize), vocab);
      const ids = ctx.tensor(batch.ids, [batch.T, batch.B], 'int32');
      let values: Float32Array;
      try {
        const logits = wr.noGrad(() => model.forward(ids, batch.lengths)); // [B, 2]
        values = (await logits.read()) as Float32Array;
        logits.dispose();
      } finally {
        ids.dispose();
      }
      for (let b = 0; b < batch.B; b++) {
        const predicted = values[2 * b + 1] > values[2 * b] ? 1 : 0;
        if (predicted === batch.labels[b]) correct++;
      }
    }
  } finally {
    model.train(wasTraining);
  }
  return correct / examples.length;
}

export async function run(ctx: Context, options: NamesOptions = {}): Promise<NamesResult> {
  // Every option checked before anything is read or allocated.
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new RangeError(`names: seed must be an integer, got ${seed}`);
  const batchSize = positiveInteger(options.batchSize ?? 64, 'batchSize', 'names');
  const epochs = positiveInteger(options.epochs ?? 10, 'epochs', 'names');
  const lr = positiveNumber(options.lr ?? 5e-3, 'lr', 'names');
  const embeddingDim = positiveInteger(options.embeddingDim ?? 16, 'embeddingDim', 'names');
  const hiddenSize = positiveInteger(options.hiddenSize ?? 64, 'hiddenSize', 'names');
  const numLayers = positiveInteger(options.numLayers ?? 1, 'numLayers', 'names');
  const dropout = options.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new RangeError(`names: dropout must be in [0, 1), got ${dropout}`);
  if (options.maxTrain !== undefined) positiveInteger(options.maxTrain, 'maxTrain', 'names');
  const split = splitNames(options.data ?? loadNames(), options.heldOutFraction ?? 0.2, seed);
  const train = options.maxTrain === undefined ? split.train : split.train.slice(0, options.maxTrain);
  const heldOut = split.heldOut;
  const vocab = namesVocab(train);
  const counts = CLASSES.map((_, c) => train.filter((e) => e.label === c).length);
  const majority = counts[1] > counts[0] ? 1 : 0;

  wr.nn.manualSeed(ctx, seed); // dropout masks
  const model = new NameClassifier(ctx, {
    vocabSize: vocab.size, embeddingDim, hiddenSize, numLayers, dropout, seed,
  });
  const opt = new wr.optim.Adam(model.parameters(), { lr });
  const rng = wr.data.makeRng(seed + 1000);
  const history: NamesEpoch[] = [];
  let heldOutAccuracy: number;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const order = wr.data.shuffleInPlace([...train], rng);
      const steps = Math.ceil(order.length / batchSize);
      const losses = ctx.zeros([steps], 'float32', 'names-losses'); // one mean loss per step, read once an epoch
      try {
        for (let s = 0; s < steps; s++) {
          const batch = encodeBatch(order.slice(s * batchSize, (s + 1) * batchSize), vocab);
          const step: Tensor[] = [];
          try {
            const ids = ctx.tensor(batch.ids, [batch.T, batch.B], 'int32');
            const labels = ctx.tensor(batch.labels, [batch.B], 'int32');
            step.push(ids, labels);
            const logits = model.forward(ids, batch.lengths);
            const loss = wr.nn.functional.crossEntropy(logits, labels);
            step.push(logits, loss);
            opt.zeroGrad();
            loss.backward();
            wr.ops.copyBlockInto(losses, loss, { rows: 1, cols: 1, srcStride: 0, srcOffset: 0, dstStride: 0, dstOffset: s });
            opt.step();
          } finally {
            for (const t of step) t.dispose();
          }
        }
        const perStep = (await losses.read()) as Float32Array;
        const trainLoss = perStep.reduce((a, b) => a + b, 0) / steps;
        if (!Number.isFinite(trainLoss)) throw new Error(`names: the training loss is ${trainLoss} in epoch ${epoch}`);
        const record = { epoch, trainLoss };
        history.push(record);
        options.onEpoch?.(record);
      } finally {
        losses.dispose();
      }
    }
    heldOutAccuracy = await accuracy(model, heldOut, vocab, 256);
  } finally {
    opt.zeroGrad();
    opt.dispose();
    for (const p of model.parameters()) p.dispose();
  }
  return {
    heldOutAccuracy,
    majorityAccuracy: heldOut.filter((e) => e.label === majority).length / heldOut.length,
    majorityClass: CLASSES[majority],
    trainSize: train.length,
    heldOutSize: heldOut.length,
    dropped: split.dropped.length,
    vocabSize: vocab.size,
    history,
  };
}
