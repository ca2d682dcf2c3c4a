// The textbook's character language model (d2l RNNModel): token ids → recurrent layer → dense layer, with
// parameter names rnn.* and dense.* as in its state_dict. predict() generates on the GPU.
import type { Context } from '../core/context.js';
import type { Tensor } from '../core/tensor.js';
import { noGrad } from '../core/autograd.js';
import { shapeString } from '../core/shape.js';
import { Module } from '../nn/module.js';
import { Linear, linearParameters } from '../nn/linear.js';
import { RNN, GRU, LSTM, recurrentParameters, type CellMode, type RNNBase } from '../nn/rnn.js';
import { parameterAllocations } from '../nn/module.js';
import { checkAllocation, withTrainingState, TRAINING_STATE } from '../core/limits.js';
import { transpose01, narrow0 } from '../ops/layout.js';
import { isCellMode } from '../ops/recurrence.js';
import { sampleTokenInto, checkSampleFilter, type SampleFilter } from '../ops/sample.js';
import type { Vocab } from '../data/vocab.js';
import { makeRng } from '../data/rng.js';
import { positiveInteger } from '../core/validate.js';

/** Characters encoded per command buffer during generation. */
const PREDICT_SUBMIT_EVERY = 8;

export interface CharRNNOptions {
  vocabSize: number;
  hiddenSize: number;
  cell: CellMode;
  numLayers?: number;
  nonlinearity?: 'tanh' | 'relu';
  /** Dropout on the outputs of each layer but the last, in training mode (PyTorch's nn.RNN dropout; default 0). */
  dropout?: number;
  /** Seed for the initial weights (default: Math.random). */
  seed?: number;
}

/** RNN/GRU: h [L, B, H]; LSTM: [h, c]. */
export type RNNState = Tensor | [Tensor, Tensor];

export interface PredictOptions {
  /** 0 = greedy (argmax, the textbook's choice); > 0 samples from softmax(logits / temperature). */
  temperature?: number;
  /** Sample only from the k most likely tokens (ties at the k-th kept); 0 = no limit (default). */
  topK?: number;
  /** Sample only from the smallest most-likely set holding at least this probability (nucleus); 1 = no limit (default). */
  topP?: number;
  /** Seed for sampling: the same seed, model and options give the same text (default: Math.random). */
  seed?: number;
  /** Called with the generated text piece by piece as the GPU produces it (read back every `streamEvery`
   *  characters from the same submissions); the pieces join to the returned text after the prefix. */
  onText?: (piece: string) => void;
  /** Characters per streamed piece (default 32). */
  streamEvery?: number;
  /** Replay one captured token step per character (default true); false builds every step anew. Same text. */
  capture?: boolean;
}

export class CharRNN extends Module {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly cell: CellMode;
  readonly numLayers: number;
  readonly rnn: RNNBase;
  readonly dense: Linear;

  constructor(ctx: Context, opts: CharRNNOptions) {
    super(ctx);
    this.vocabSize = positiveInteger(opts.vocabSize, 'vocabSize', 'CharRNN');
    this.hiddenSize = positiveInteger(opts.hiddenSize, 'hiddenSize', 'CharRNN');
    this.numLayers = positiveInteger(opts.numLayers ?? 1, 'numLayers', 'CharRNN');
    if (!isCellMode(opts.cell)) throw new RangeError(`CharRNN: cell must be 'rnn', 'gru' or 'lstm', got ${String(opts.cell)}`);
    this.cell = opts.cell;
    const seed = opts.seed;
    const layerOpts = { inputSize: this.vocabSize, hiddenSize: this.hiddenSize, numLayers: this.numLayers, dropout: opts.dropout, seed };
    // The whole model is sized before either layer is made: an oversized one is refused with nothing built.
    // The layers' option names, in CharRNN's: the messages name what the caller can lower.
    const ours: Record<string, string> = { inputSize: 'vocabSize', inFeatures: 'hiddenSize', outFeatures: 'vocabSize' };
    const allocations = [
      ...parameterAllocations(recurrentParameters(opts.cell, { ...layerOpts, bidirectional: false, bias: true }), 'rnn.'),
      ...parameterAllocations(linearParameters(this.hiddenSize, this.vocabSize, true), 'dense.'),
    ].map(([what, n, lower]) => [what, n, lower?.replace(/\w+/g, (word) => (Object.hasOwn(ours, word) ? ours[word] : word))] as const);
    checkAllocation(ctx, 'CharRNN', withTrainingState(allocations), 'hiddenSize, vocabSize or numLayers', TRAINING_STATE);
    const [rnn, dense] = this.building(() => {
      const rnn = this.registerModule(
        'rnn',
        opts.cell === 'rnn' ? new RNN(ctx, { ...layerOpts, nonlinearity: opts.nonlinearity ?? 'tanh' })
          : opts.cell === 'gru' ? new GRU(ctx, layerOpts)
          : new LSTM(ctx, layerOpts),
      );
      const dense = this.registerModule('dense', new Linear(ctx, {
        inFeatures: this.hiddenSize, outFeatures: this.vocabSize, seed: seed === undefined ? undefined : seed + 1,
      }));
      return [rnn, dense] as const;
    });
    this.rnn = rnn;
    this.dense = dense;
  }

  /**
   * X: int32 token ids [B, T] (rows as the data iterators give them). Returns logits [T*B, vocabSize] with
   * time-major rows (row t*B + b), as the textbook's model, and the new state.
   */
  forward(X: Tensor, state?: RNNState | null): [Tensor, RNNState] {
    if (X.dtype !== 'int32' || X.shape.length !== 2) {
      throw new RangeError(`CharRNN: X must be int32 token ids [B, T], got ${X.dtype} ${shapeString(X.shape)}`);
    }
    const [B, T] = X.shape;
    if (this.rnn instanceof LSTM) {
      if (state && !Array.isArray(state)) throw new TypeError('CharRNN (lstm): the state must be a pair [h, c]');
    } else if (Array.isArray(state)) {
      throw new TypeError(`CharRNN (${this.cell}): the state must be one tensor h`);
    }
    // [B, T] → [T, B]: with one row or one step that is the same memory, so no kernel (generation feeds [1, 1]).
    const ids = B === 1 || T === 1 ? X.reshape([T, B]) : transpose01(X);
    let output: Tensor;
    let newState: RNNState;
    try {
      if (this.rnn instanceof LSTM) {
        const [o, hc] = this.rnn.forward(ids, (state as [Tensor, Tensor] | null) ?? null);
        output = o;
        newState = hc;
      } else {
        const [o, h] = (this.rnn as RNN | GRU).forward(ids, (state as Tensor | null) ?? null);
        output = o;
        newState = h;
      }
    } finally {
      ids.dispose(); // also when the layer rejects the state: a bad call leaves no tensor behind
    }
    const flat = output.reshape([T * B, this.hiddenSize]);
    output.dispose();
    const logits = this.dense.forward(flat);
    flat.dispose();
    return [logits, newState];
  }

  /** Zero state for a batch (what the textbook's init_rnn_state returns). */
  beginState(batchSize: number): RNNState {
    const shape = [this.numLayers, batchSize, this.hiddenSize];
    return this.cell === 'lstm' ? [this.ctx.zeros(shape), this.ctx.zeros(shape)] : this.ctx.zeros(shape);
  }

  /**
   * The textbook's predict_rnn: warm up on the prefix, then append numChars characters, greedy or sampled.
   * Every step runs on the GPU (the chosen id feeds the next step directly); the text is read back once, or
   * every `streamEvery` characters with `onText`, without waiting for the GPU in between.
   */
  async predict(prefix: string, numChars: number, vocab: Vocab, opts: PredictOptions = {}): Promise<string> {
    if (vocab.size !== this.vocabSize) throw new RangeError(`predict: the vocabulary has ${vocab.size} tokens but the model expects ${this.vocabSize}`);
    if (!Number.isInteger(numChars) || numChars < 0) throw new RangeError(`predict: numChars must be a non-negative integer, got ${numChars}`);
    const temperature = opts.temperature ?? 0;
    if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new RangeError(`predict: temperature must be ≥ 0, got ${temperature}`);
    const filter = checkSampleFilter(opts, 'predict');
    const streamEvery = opts.streamEvery ?? 32;
    if (!Number.isInteger(streamEvery) || streamEvery < 1) throw new RangeError(`predict: streamEvery must be a positive integer, got ${streamEvery}`);
    const onText = opts.onText;
    if (prefix.length === 0) throw new RangeError('predict: the prefix is empty (generation needs at least one character to start from)');
    const prefixIds = vocab.encode(prefix); // throws naming characters outside the vocabulary
    if (numChars === 0) return prefix;
    const ctx = this.ctx;
    // Streaming: a read of `generated` encoded after character k holds ids [0, k]; they resolve in order.
    let streamed = 0;
    let pieces: Promise<void> = Promise.resolve();
    const emitUpTo = (upto: number, ids: Int32Array) => {
      if (!onText || upto <= streamed) return;
      const slice = ids.subarray(streamed, upto);
      if (slice.includes(-1)) return; // NaN logits: predict throws below
      streamed = upto;
      onText(vocab.decode(slice));
    };
    const generated = noGrad(() => {
      const rng = makeRng(opts.seed);
      const uniforms = ctx.tensor(Float32Array.from({ length: numChars }, () => rng()), [numChars]);
      const generated = ctx.empty([numChars], 'int32', 'generated');
      const nextId = ctx.empty([1, 1], 'int32', 'next-id');
      /** After character k is encoded: submit every few characters so the GPU starts while the rest is encoded
       *  (still one read-back), and read back a streamed piece every streamEvery. */
      const afterChar = (k: number) => {
        if (k % PREDICT_SUBMIT_EVERY === PREDICT_SUBMIT_EVERY - 1) ctx.flush();
        if (onText && k % streamEvery === streamEvery - 1 && k < numChars - 1) {
          const upto = k + 1;
          // Handled at once (a failed read shows again in the final one); emitted in order.
          const emit = generated.read().then((ids) => () => emitUpTo(upto, ids as Int32Array), () => () => undefined);
          pieces = pieces.then(() => emit).then((run) => run());
        }
      };
      if (opts.capture !== false) {
        this.generateCaptured(prefixIds, numChars, { uniforms, generated, nextId }, { temperature, ...filter }, afterChar);
        uniforms.dispose();
        nextId.dispose();
        return generated;
      }
      let input = ctx.tensor(prefixIds, [1, prefixIds.length], 'int32');
      let state: RNNState | null = null;
      for (let k = 0; k < numChars; k++) {
        const [logits, newState] = this.forward(input, state);
        disposeState(state);
        state = newState;
        const rows = logits.shape[0];
        const last = rows === 1 ? logits : narrow0(logits, rows - 1, 1);
        sampleTokenInto(last, uniforms, generated, nextId, k, temperature, filter);
        if (last !== logits) last.dispose();
        logits.dispose();
        if (input !== nextId) input.dispose();
        input = nextId;
        afterChar(k);
      }
      disposeState(state);
      uniforms.dispose();
      nextId.dispose();
      return generated;
    });
    try {
      const ids = (await generated.read()) as Int32Array;
      await pieces;
      // The sampler writes -1 only when no logit compares (all NaN): the weights are no longer finite.
      if (ids.includes(-1)) throw new Error('predict: the model produced NaN logits (its weights are not finite; was training diverging?)');
      emitUpTo(numChars, ids);
      return prefix + vocab.decode(ids);
    } finally {
      generated.dispose();
    }
  }
  /**
   * predict()'s loop with every character after the first a replay of one captured token step: forward on the
   * last id, sample, carry the state. What changes per character (its uniform draw, its place in `generated`) is
   * copied in and out around each replay, so the recorded step is the same every time.
   */
  private generateCaptured(
    prefixIds: Int32Array,
    numChars: number,
    { uniforms, generated, nextId }: { uniforms: Tensor; generated: Tensor; nextId: Tensor },
    { temperature, ...filter }: { temperature: number } & SampleFilter,
    afterChar: (k: number) => void,
  ): void {
    const ctx = this.ctx;
    // Character 0 from the prefix (its own length, so built as usual).
    const prefix = ctx.tensor(prefixIds, [1, prefixIds.length], 'int32');
    const [logits0, state0] = this.forward(prefix, null);
    prefix.dispose();
    const rows = logits0.shape[0];
    const last = rows === 1 ? logits0 : narrow0(logits0, rows - 1, 1);
    sampleTokenInto(last, uniforms, generated, nextId, 0, temperature, filter);
    if (last !== logits0) last.dispose();
    logits0.dispose();
    afterChar(0);
    // The step's fixed tensors: the carried state, this character's draw and the id it picks.
    const state = detachState(state0); // views: the buffers the prefix's state is in
    disposeState(state0);
    const stateTensors = Array.isArray(state) ? state : [state];
    const draw = ctx.empty([1], 'float32', 'draw');
    const picked = ctx.empty([1], 'int32', 'picked');
    const step = ctx.capture(() => {
      const [logits, newState] = this.forward(nextId, state);
      sampleTokenInto(logits, draw, picked, nextId, 0, temperature, filter);
      (Array.isArray(newState) ? newState : [newState]).forEach((t, i) => ctx.copyBuffer(t.buffer, 0, stateTensors[i].buffer, 0, t.numel * 4));
      disposeState(newState);
      logits.dispose();
    });
    try {
      for (let k = 1; k < numChars; k++) {
        ctx.copyBuffer(uniforms.buffer, 4 * k, draw.buffer, 0, 4);
        step.run();
        ctx.copyBuffer(picked.buffer, 0, generated.buffer, 4 * k, 4);
        afterChar(k);
      }
    } finally {
      step.dispose();
      disposeState(state);
      draw.dispose();
      picked.dispose();
    }
  }
}

export function disposeState(state: RNNState | null | undefined): void {
  if (!state) return;
  if (Array.isArray(state)) state.forEach((t) => t.dispose());
  else state.dispose();
}

export function detachState(state: RNNState): RNNState {
  if (Array.isArray(state)) return [state[0].detach(), state[1].detach()];
  return state.detach();
}
