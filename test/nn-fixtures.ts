// Typed access to the PyTorch fixtures of API.md 9-13 (made by test/fixtures/gen_fixtures_nn.py). Every tensor is
// flat row-major (number[]) with its shape beside it; inputs are exactly what PyTorch computed with.
import cells from './fixtures/nn_cells.json';
import embedding from './fixtures/nn_embedding.json';
import layers from './fixtures/nn_layers.json';
import losses from './fixtures/nn_losses.json';
import optim from './fixtures/nn_optim.json';
import seq2seq from './fixtures/seq2seq.json';
import seq2seqTrainJson from './fixtures/seq2seq_train.json';
import type { LayerCase } from './layers-fixtures.js';

type Params = Record<string, number[]>;

/** nn.RNNCell/GRUCell/LSTMCell called `steps` times in a loop; loss = Σ hs·dHs (+ c_last·dCLast for LSTM). */
export interface CellCase {
  name: string; cell: 'rnn' | 'gru' | 'lstm'; nonlinearity: 'tanh' | 'relu'; bias: boolean;
  inputSize: number; hiddenSize: number; B: number; steps: number;
  params: Params; paramShapes: Record<string, number[]>;
  xs: number[] /* [steps, B, inputSize] */; h0: number[] | null /* [B, H] */; c0: number[] | null;
  hs: number[] /* [steps, B, H] */; cs: number[] | null /* [steps, B, H] */;
  dHs: number[]; dCLast: number[] | null /* [B, H] */;
  grads: Params; dxs: number[]; dh0: number[] | null; dc0: number[] | null;
}

/** layers.json's layout plus projSize, lengths (null: no packing) and explicit state shapes. */
export interface NnLayerCase extends LayerCase {
  projSize: number; lengths: number[] | null;
  h0Shape: number[]; c0Shape: number[] | null; hNShape: number[]; cNShape: number[] | null;
}

export interface EmbeddingCase {
  name: string; numEmbeddings: number; embeddingDim: number; paddingIdx: number | null;
  weight: number[]; ids: number[]; idsShape: number[]; output: number[]; outputShape: number[];
  dOutput: number[]; dWeight: number[];
}

/** One loss or softmax call; backward seeds `dLoss` (shape lossShape, a scalar's is [1] flat with lossShape []). */
export interface LossCase {
  name: string;
  kind: 'crossEntropy' | 'mseLoss' | 'l1Loss' | 'binaryCrossEntropyWithLogits' | 'softmax' | 'logSoftmax';
  reduction?: 'mean' | 'sum' | 'none';
  // crossEntropy
  N?: number; C?: number; targets?: number[]; ignoreIndex?: number; labelSmoothing?: number;
  logits?: number[]; logitsShape?: number[]; dLogits?: number[];
  // the others
  input?: number[]; inputShape?: number[]; dInput?: number[];
  target?: number[]; targetShape?: number[]; dTarget?: number[];
  posWeight?: number[] | null;
  loss: number[]; lossShape: number[]; dLoss: number[];
}

export interface OptimCase {
  name: string; optimizer: 'sgd' | 'adam' | 'adamw' | 'rmsprop';
  /** API.md 12's option names (lr, betas, eps, weightDecay, alpha, momentum); absent = the default. */
  options: { lr: number; betas?: [number, number]; eps?: number; weightDecay?: number; alpha?: number; momentum?: number };
  scheduler: null | { kind: 'StepLR'; stepSize: number; gamma: number } | { kind: 'CosineAnnealingLR'; tMax: number; etaMin: number };
  /** clipGradValue(params, clipValue) on the fixed grads before each step. */
  clipValue: number | null;
  /** true: set opt.lr = lrPerStep[i] before step i; false: lrPerStep is what opt.lr reads (the scheduler's). */
  manualLr: boolean;
  steps: number; shapes: number[][];
  params0: number[][]; gradsPerStep: number[][][]; clippedGradsPerStep: number[][][] | null;
  paramsAfter: number[][][];
  /** opt.lr at each step; after the step and sched.step() (one per step, as per epoch) it reads lrAfterStep. */
  lrPerStep: number[]; lrAfterStep: number[];
}

export interface Seq2SeqConfig {
  srcVocabSize: number; tgtVocabSize: number; embedSize: number; hiddenSize: number; numLayers: number;
  dropout: number; attention: boolean;
}

/** d2l Seq2Seq: logits = model(src, srcValidLens, decIn); loss = crossEntropy(logits, target, ignoreIndex pad). */
export interface Seq2SeqCase {
  name: string; config: Seq2SeqConfig; B: number; S: number; T: number; pad: number; bos: number; eos: number;
  /** webrnn's names (API.md 13). */
  stateDict: Params; shapes: Record<string, number[]>;
  src: number[] /* [B, S] */; srcValidLens: number[]; decIn: number[] /* [B, T] */; target: number[];
  logits: number[]; logitsShape: number[]; loss: number; grads: Params;
}

export interface Seq2SeqTrainBatch {
  B: number; S: number; T: number; src: number[]; srcValidLens: number[]; decIn: number[]; target: number[]; words: string[];
}

/** 50 steps of training from `init`; batches[i] is step i's batch. */
export interface Seq2SeqTrain {
  note: string; tsv: string; graphemes: string[]; phonemes: string[]; batchSize: number; seed: number;
  lr: number; clip: number; steps: number; batches: Seq2SeqTrainBatch[];
  runs: { name: string; config: Seq2SeqConfig; init: Params; shapes: Record<string, number[]>; losses: number[] }[];
}

export const cellCases = (cells as { cases: CellCase[] }).cases;
export const nnLayerCases = (layers as { cases: NnLayerCase[] }).cases;
export const embeddingCases = (embedding as { cases: EmbeddingCase[] }).cases;
export const lossCases = (losses as { cases: LossCase[] }).cases;
export const optimCases = (optim as unknown as { cases: OptimCase[] }).cases;
export const seq2seqCases = (seq2seq as { cases: Seq2SeqCase[] }).cases;
export const seq2seqTrain = seq2seqTrainJson as unknown as Seq2SeqTrain;
