// Saving and loading CharRNN weights as .safetensors. A file written here carries its vocabulary (and the
// architecture) in `__metadata__`; a state dict exported from PyTorch (the textbook's RNNModel: rnn.* and
// dense.*, or linear.* as in the 2nd edition) has none, so the architecture is read from the shapes.
import * as wr from '../src/index.js';

type CellMode = 'rnn' | 'gru' | 'lstm';

export interface Architecture {
  cell: CellMode;
  hiddenSize: number;
  numLayers: number;
  vocabSize: number;
  nonlinearity: 'tanh' | 'relu';
}

export interface LoadedWeights {
  arch: Architecture;
  tensors: Record<string, Float32Array>;
  shapes: Record<string, number[]>;
  /** The vocabulary stored in the file, or null (e.g. a PyTorch export). */
  vocab: wr.data.Vocab | null;
  metadata: Record<string, string>;
}

const CELL_BY_GATES: Record<number, CellMode> = { 1: 'rnn', 3: 'gru', 4: 'lstm' };

export function encodeWeights(
  model: wr.lm.CharRNN,
  state: Record<string, Float32Array>,
  vocab: wr.data.Vocab,
  extra: Record<string, string> = {},
): Uint8Array {
  return wr.io.saveSafetensors(state, model.parameterShapes(), {
    format: 'webrnn-charrnn',
    cell: model.cell,
    hiddenSize: String(model.hiddenSize),
    numLayers: String(model.numLayers),
    nonlinearity: model.cell === 'rnn' ? model.rnn.nonlinearity : 'tanh',
    vocab: JSON.stringify(vocab.toJSON()),
    ...extra,
  });
}

/** Parses a file and works out the model it holds; throws a message for the page when it cannot. */
export function decodeWeights(bytes: Uint8Array): LoadedWeights {
  const { tensors: raw, shapes: rawShapes, metadata } = wr.io.loadSafetensors(bytes);
  // Accept the 2nd edition's `linear.*` for the output layer.
  const tensors: Record<string, Float32Array> = {};
  const shapes: Record<string, number[]> = {};
  for (const name of Object.keys(raw)) {
    const renamed = name.startsWith('linear.') ? `dense.${name.slice('linear.'.length)}` : name;
    tensors[renamed] = raw[name]!;
    shapes[renamed] = rawShapes[name]!;
  }
  const arch = inferArchitecture(shapes);
  if (metadata.nonlinearity === 'relu' && arch.cell === 'rnn') arch.nonlinearity = 'relu';

  let vocab: wr.data.Vocab | null = null;
  if (metadata.vocab !== undefined) {
    try {
      vocab = wr.data.Vocab.fromJSON(JSON.parse(metadata.vocab));
    } catch (e) {
      throw new Error(`the vocabulary stored in the file is invalid (${(e as Error).message})`, { cause: e });
    }
    if (vocab.size !== arch.vocabSize) {
      throw new Error(`the file's vocabulary has ${vocab.size} tokens but its weights expect ${arch.vocabSize}`);
    }
  }
  return { arch, tensors, shapes, vocab, metadata };
}

function shapeText(shape: readonly number[] | undefined): string {
  return shape ? `[${shape.join(', ')}]` : 'missing';
}

/**
 * weight_hh_l0 is [G·H, H]: H from its columns, G (1 RNN, 3 GRU, 4 LSTM) from its rows; the layers are the
 * weight_ih_l{k} present; the vocabulary size is weight_ih_l0's columns (one-hot inputs).
 */
export function inferArchitecture(shapes: Record<string, number[]>): Architecture {
  const names = Object.keys(shapes);
  if (names.length === 0) throw new Error('the file holds no tensors');
  if (names.some((n) => n.endsWith('_reverse'))) {
    throw new Error('the file holds a bidirectional RNN, which cannot generate text left to right: the demo loads unidirectional models only');
  }
  const hh = shapes['rnn.weight_hh_l0'];
  const ih = shapes['rnn.weight_ih_l0'];
  if (!hh || !ih) {
    const sample = names.slice(0, 4).join(', ');
    throw new Error(
      `the file has no rnn.weight_ih_l0 / rnn.weight_hh_l0 (it holds ${sample}${names.length > 4 ? ', …' : ''}): ` +
        'expected the textbook RNNModel state dict (rnn.weight_ih_l0, …, dense.weight, dense.bias)',
    );
  }
  if (hh.length !== 2 || hh[1]! < 1 || hh[0]! % hh[1]! !== 0) {
    throw new Error(`rnn.weight_hh_l0 has shape ${shapeText(hh)}: expected [G·H, H] with G = 1 (RNN), 3 (GRU) or 4 (LSTM)`);
  }
  const hiddenSize = hh[1]!;
  const gates = hh[0]! / hiddenSize;
  const cell = CELL_BY_GATES[gates];
  if (!cell) throw new Error(`rnn.weight_hh_l0 has shape ${shapeText(hh)}: ${gates} gates per unit is not an RNN (1), GRU (3) or LSTM (4)`);
  if (ih.length !== 2 || ih[0] !== gates * hiddenSize) {
    throw new Error(`rnn.weight_ih_l0 has shape ${shapeText(ih)}, which does not fit rnn.weight_hh_l0 ${shapeText(hh)} (expected [${gates * hiddenSize}, vocabulary size])`);
  }
  const vocabSize = ih[1]!;
  let numLayers = 0;
  while (shapes[`rnn.weight_ih_l${numLayers}`]) numLayers++;
  if (numLayers === 0) throw new Error('the file has no rnn.weight_ih_l0');
  if (!shapes['rnn.bias_ih_l0'] || !shapes['rnn.bias_hh_l0']) {
    throw new Error('the file has no rnn.bias_ih_l0 / rnn.bias_hh_l0: models trained with bias=False are not supported');
  }
  const dense = shapes['dense.weight'];
  if (!dense || dense.length !== 2 || dense[0] !== vocabSize || dense[1] !== hiddenSize) {
    throw new Error(`dense.weight has shape ${shapeText(dense)}: expected [${vocabSize}, ${hiddenSize}] (vocabulary × hidden size)`);
  }
  return { cell, hiddenSize, numLayers, vocabSize, nonlinearity: 'tanh' };
}

export function download(bytes: Uint8Array, filename: string): void {
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
