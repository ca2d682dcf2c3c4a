// The one model file format of webrnn: a CharRNN's weights as .safetensors (PyTorch's state_dict names), its
// vocabulary and config in `__metadata__`. The demo and the CLI both write and read it here. A bare PyTorch
// state dict of the textbook's RNNModel (rnn.* and dense.*, or the 2nd edition's linear.*) reads too, without a
// vocabulary. The config comes from the tensors' shapes and the metadata together, checked for consistency and
// bounded before anything is built, so a small hostile file cannot ask for a huge model.
import type { Context } from '../core/context.js';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import { MAX_WEIGHTS_BYTES } from '../io/limits.js';
import { Vocab } from '../data/vocab.js';
import type { CellMode } from '../nn/rnn.js';
import { CELLS, cellOfGates } from '../ops/recurrence.js';
import { CharRNN } from './charrnn.js';

/** `__metadata__.format` of a file written here; `formatVersion` says which revision of these fields. */
export const CHECKPOINT_FORMAT = 'webrnn-charrnn';
export const CHECKPOINT_VERSION = 1;

/** Bounds on a model read from a file (and on the demo's form): beyond them a file is refused before any work. */
export const CHECKPOINT_LIMITS = {
  numLayers: 16,
  hiddenSize: 8192,
  vocabSize: 65536,
  /** Largest model file: the weights-file cap of wr.io (the demo checks a file's size against it before reading
   *  it; readCheckpoint and loadSafetensors check its bytes). */
  fileBytes: MAX_WEIGHTS_BYTES,
} as const;

export interface CharRNNConfig {
  cell: CellMode;
  hiddenSize: number;
  numLayers: number;
  vocabSize: number;
  nonlinearity: 'tanh' | 'relu';
}

export interface Checkpoint {
  config: CharRNNConfig;
  /** The weights by CharRNN parameter name (null-prototype records: any name is an ordinary key). */
  tensors: Record<string, Float32Array>;
  shapes: Record<string, number[]>;
  /** The vocabulary stored in the file, or null (a bare PyTorch state dict has none). */
  vocab: Vocab | null;
  /** 'webrnn': written by saveCheckpoint (or an earlier webrnn); 'state-dict': tensors only. */
  source: 'webrnn' | 'state-dict';
  /** Every metadata entry, including the caller's extras (epochs trained, corpus name, ...). */
  metadata: Record<string, string>;
}

/** A file that cannot be a CharRNN checkpoint; the message names the tensor or field at fault. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** Metadata keys this module writes and checks; a caller's extras may not use them. */
const RESERVED = new Set(['format', 'formatVersion', 'cell', 'hiddenSize', 'numLayers', 'nonlinearity', 'vocab']);

function record<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

function own<T>(rec: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

function shapeText(shape: readonly number[] | undefined): string {
  return shape ? `[${shape.join(', ')}]` : 'missing';
}

function sameShape(a: readonly number[] | undefined, b: readonly number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The parameter names and shapes of a CharRNN with this config (its parameterShapes(), without building it). */
export function checkpointShapes(config: CharRNNConfig): Map<string, number[]> {
  const GH = CELLS[config.cell].gates * config.hiddenSize;
  const H = config.hiddenSize;
  const shapes = new Map<string, number[]>();
  for (let l = 0; l < config.numLayers; l++) {
    shapes.set(`rnn.weight_ih_l${l}`, [GH, l === 0 ? config.vocabSize : H]);
    shapes.set(`rnn.weight_hh_l${l}`, [GH, H]);
    shapes.set(`rnn.bias_ih_l${l}`, [GH]);
    shapes.set(`rnn.bias_hh_l${l}`, [GH]);
  }
  shapes.set('dense.weight', [config.vocabSize, H]);
  shapes.set('dense.bias', [config.vocabSize]);
  return shapes;
}

function bounded(value: number, name: keyof typeof CHECKPOINT_LIMITS, what: string): number {
  const limit = CHECKPOINT_LIMITS[name];
  if (value > limit) throw new CheckpointError(`${what} is ${value}, over the limit of ${limit} ${name === 'numLayers' ? 'layers' : ''}`.trim());
  return value;
}

/** A positive integer metadata field ("256"), or undefined when absent. */
function metaInt(metadata: Record<string, string>, key: string): number | undefined {
  const text = own(metadata, key);
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]{0,9}$/.test(text)) throw new CheckpointError(`metadata ${key} must be a positive integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * The config of the model a file holds, from its shapes and metadata together (they must agree). Only a few
 * named shapes are read and every count is bounded first, so this is cheap whatever the file declares.
 */
export function checkpointConfig(shapes: Record<string, number[]>, metadata: Record<string, string>): CharRNNConfig {
  const names = Object.keys(shapes);
  if (names.length === 0) throw new CheckpointError('the file holds no tensors');
  const reverse = names.find((n) => n.endsWith('_reverse'));
  if (reverse) {
    throw new CheckpointError(`the file holds a bidirectional RNN (${reverse}), which cannot generate text left to right: only unidirectional models load`);
  }
  const hh = own(shapes, 'rnn.weight_hh_l0');
  const ih = own(shapes, 'rnn.weight_ih_l0');
  if (!hh || !ih) {
    const sample = names.slice(0, 4).map((n) => JSON.stringify(n)).join(', ');
    throw new CheckpointError(
      `the file has no rnn.weight_ih_l0 / rnn.weight_hh_l0 (it holds ${sample}${names.length > 4 ? ', …' : ''}): ` +
        'expected the textbook RNNModel state dict (rnn.weight_ih_l0, …, dense.weight, dense.bias)',
    );
  }
  if (hh.length !== 2 || hh[1]! < 1 || hh[0]! % hh[1]! !== 0) {
    throw new CheckpointError(`rnn.weight_hh_l0 has shape ${shapeText(hh)}: expected [G·H, H] with G = 1 (RNN), 3 (GRU) or 4 (LSTM)`);
  }
  const hiddenSize = bounded(hh[1]!, 'hiddenSize', 'the hidden size (rnn.weight_hh_l0\'s columns)');
  const gates = hh[0]! / hiddenSize;
  const cell = cellOfGates(gates);
  if (!cell) throw new CheckpointError(`rnn.weight_hh_l0 has shape ${shapeText(hh)}: ${gates} gates per unit is not an RNN (1), GRU (3) or LSTM (4)`);
  if (ih.length !== 2 || ih[0] !== gates * hiddenSize || ih[1]! < 1) {
    throw new CheckpointError(`rnn.weight_ih_l0 has shape ${shapeText(ih)}, which does not fit rnn.weight_hh_l0 ${shapeText(hh)} (expected [${gates * hiddenSize}, vocabulary size])`);
  }
  const vocabSize = bounded(ih[1]!, 'vocabSize', 'the vocabulary size (rnn.weight_ih_l0\'s columns)');

  // Layers: the highest l of any rnn.*_l{l} name, bounded before any per-layer work.
  let numLayers = 0;
  for (const name of names) {
    const m = /^rnn\.(?:weight|bias)_(?:ih|hh)_l(\d{1,9})$/.exec(name);
    if (m) numLayers = Math.max(numLayers, Number(m[1]) + 1);
  }
  bounded(numLayers, 'numLayers', 'the number of layers (from the rnn.*_l{k} names)');

  let nonlinearity: 'tanh' | 'relu' = 'tanh';
  const given = own(metadata, 'nonlinearity');
  if (given !== undefined) {
    if (given !== 'tanh' && given !== 'relu') throw new CheckpointError(`metadata nonlinearity must be "tanh" or "relu", got ${JSON.stringify(given)}`);
    if (given === 'relu' && cell !== 'rnn') throw new CheckpointError(`metadata nonlinearity is "relu" but the weights are a ${cell.toUpperCase()} (only an RNN has one)`);
    nonlinearity = given;
  }
  const config: CharRNNConfig = { cell, hiddenSize, numLayers, vocabSize, nonlinearity };

  // The metadata, where present, must say what the shapes say.
  const metaCell = own(metadata, 'cell');
  if (metaCell !== undefined && metaCell !== cell) {
    throw new CheckpointError(`metadata cell is ${JSON.stringify(metaCell)} but the weights are a ${cell.toUpperCase()} (rnn.weight_hh_l0 ${shapeText(hh)})`);
  }
  for (const [key, value] of [['hiddenSize', hiddenSize], ['numLayers', numLayers]] as const) {
    const stated = metaInt(metadata, key);
    if (stated !== undefined && stated !== value) throw new CheckpointError(`metadata ${key} is ${stated} but the weights have ${value}`);
  }
  return config;
}

/** Every tensor the config needs is present with its exact shape, and there is nothing else. */
function checkTensors(config: CharRNNConfig, shapes: Record<string, number[]>): void {
  const expected = checkpointShapes(config);
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const got = own(shapes, name);
    if (!got) problems.push(name.includes('bias') ? `${name} is missing (models trained with bias=False are not supported)` : `${name} is missing`);
    else if (!sameShape(got, shape)) problems.push(`${name} has shape ${shapeText(got)}, expected ${shapeText(shape)}`);
  }
  for (const name of Object.keys(shapes)) {
    if (!expected.has(name)) problems.push(`unexpected tensor ${JSON.stringify(name)}`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 6).join('; ');
    throw new CheckpointError(
      `the file does not hold a ${config.cell.toUpperCase()} of ${config.numLayers} layer(s), hidden size ${config.hiddenSize}, ` +
        `vocabulary ${config.vocabSize}: ${shown}${problems.length > 6 ? `; and ${problems.length - 6} more` : ''}`,
    );
  }
  // Non-finite weights are refused by loadSafetensors, naming the tensor: the one place for that check.
}

function parseVocab(metadata: Record<string, string>, vocabSize: number): Vocab | null {
  const text = own(metadata, 'vocab');
  if (text === undefined) return null;
  let vocab: Vocab;
  try {
    vocab = Vocab.fromJSON(JSON.parse(text));
  } catch (e) {
    throw new CheckpointError(`the vocabulary stored in the file is invalid (${(e as Error).message})`);
  }
  if (vocab.size !== vocabSize) throw new CheckpointError(`the file's vocabulary has ${vocab.size} tokens but its weights expect ${vocabSize}`);
  return vocab;
}

/**
 * Parses and checks a checkpoint (a file saved here, one from an earlier webrnn, or a bare PyTorch state dict)
 * without touching the GPU. Throws a SafetensorsError for a malformed file, a CheckpointError for one that does
 * not hold a CharRNN.
 */
export function readCheckpoint(bytes: Uint8Array | ArrayBuffer): Checkpoint {
  const size = bytes.byteLength;
  if (size > CHECKPOINT_LIMITS.fileBytes) {
    throw new CheckpointError(`the file is ${size} bytes, over the limit of ${CHECKPOINT_LIMITS.fileBytes} bytes for a model file`);
  }
  const loaded = loadSafetensors(bytes);
  const metadata = record<string>();
  for (const [key, value] of Object.entries(loaded.metadata)) metadata[key] = value;
  const format = own(metadata, 'format');
  const source = format === CHECKPOINT_FORMAT || own(metadata, 'vocab') !== undefined ? 'webrnn' : 'state-dict';
  if (format === CHECKPOINT_FORMAT) {
    const version = own(metadata, 'formatVersion');
    if (version !== undefined && version !== String(CHECKPOINT_VERSION)) {
      throw new CheckpointError(`the file is ${CHECKPOINT_FORMAT} format version ${JSON.stringify(version)}; this webrnn reads version ${CHECKPOINT_VERSION}`);
    }
  }

  // The 2nd edition names the output layer linear.*: read it as dense.*, unless the file has both.
  const tensors = record<Float32Array>();
  const shapes = record<number[]>();
  for (const [name, data] of Object.entries(loaded.tensors)) {
    const renamed = name.startsWith('linear.') ? `dense.${name.slice('linear.'.length)}` : name;
    if (Object.hasOwn(tensors, renamed)) {
      throw new CheckpointError(`the file holds both ${JSON.stringify(name)} and ${JSON.stringify(renamed)}: one output layer, please`);
    }
    tensors[renamed] = data;
    shapes[renamed] = own(loaded.shapes, name)!;
  }
  const config = checkpointConfig(shapes, metadata);
  checkTensors(config, shapes);
  const vocab = parseVocab(metadata, config.vocabSize);
  return { config, tensors, shapes, vocab, source, metadata };
}

/** The model's config, as a checkpoint stores it. */
export function configOf(model: CharRNN): CharRNNConfig {
  return {
    cell: model.cell,
    hiddenSize: model.hiddenSize,
    numLayers: model.numLayers,
    vocabSize: model.vocabSize,
    nonlinearity: model.rnn.nonlinearity,
  };
}

/** Serializes weights already read from the GPU (see saveCheckpoint) with the vocabulary and config. */
export function encodeCheckpoint(model: CharRNN, state: Record<string, Float32Array>, vocab: Vocab, extra: Record<string, string> = {}): Uint8Array {
  if (vocab.size !== model.vocabSize) {
    throw new CheckpointError(`the vocabulary has ${vocab.size} tokens but the model expects ${model.vocabSize}`);
  }
  const metadata = record<string>();
  for (const [key, value] of Object.entries(extra)) {
    if (RESERVED.has(key)) throw new CheckpointError(`metadata ${JSON.stringify(key)} is written by the checkpoint itself and cannot be an extra`);
    metadata[key] = value;
  }
  const config = configOf(model);
  metadata.format = CHECKPOINT_FORMAT;
  metadata.formatVersion = String(CHECKPOINT_VERSION);
  metadata.cell = config.cell;
  metadata.hiddenSize = String(config.hiddenSize);
  metadata.numLayers = String(config.numLayers);
  metadata.nonlinearity = config.nonlinearity;
  metadata.vocab = JSON.stringify(vocab.toJSON());
  return saveSafetensors(state, model.parameterShapes(), metadata);
}

/** A checkpoint of the model: its weights (read from the GPU), vocabulary, config and the caller's extras. */
export async function saveCheckpoint(model: CharRNN, vocab: Vocab, extra: Record<string, string> = {}): Promise<Uint8Array> {
  return encodeCheckpoint(model, await model.stateDict(), vocab, extra);
}

/** A new CharRNN holding the checkpoint's weights; nothing is left allocated when it fails. */
export function modelFromCheckpoint(ctx: Context, checkpoint: Checkpoint): CharRNN {
  const { config } = checkpoint;
  const model = new CharRNN(ctx, {
    vocabSize: config.vocabSize,
    hiddenSize: config.hiddenSize,
    numLayers: config.numLayers,
    cell: config.cell,
    nonlinearity: config.cell === 'rnn' ? config.nonlinearity : undefined,
  });
  try {
    model.loadStateDict(checkpoint.tensors, checkpoint.shapes);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
