// wr.seq2seq.Seq2Seq (API.md 13): d2l 1.0's encoder-decoder (Seq2SeqEncoder + Seq2SeqDecoder, or
// Seq2SeqAttentionDecoder with Bahdanau attention), with d2l's state_dict names and init_seq2seq's Xavier init.
import type { Context } from '../core/context.js';
import type { Parameter, Tensor } from '../core/tensor.js';
import { record } from '../core/autograd.js';
import { shapeString } from '../core/shape.js';
import { Module, initRng } from '../nn/module.js';
import { Linear } from '../nn/linear.js';
import { GRU } from '../nn/rnn.js';
import { Embedding } from '../nn/embedding.js';
import { assertIdsInRange } from '../ops/gather.js';
import { cat, narrow0, transpose01, copyBlockInto } from '../ops/layout.js';
import { sumRowsInto } from '../ops/reduce.js';
import type { GruWeights } from '../ops/gru_input_cell.js';
import { attentionDecoder } from './attention-decoder.js';
import { generate, type GenerateOptions, type Generated } from './generate.js';
import { resolveSeq2SeqOptions, canonicalSeq2SeqStateDict, type Seq2SeqConfig, type Seq2SeqOptions } from './config.js';

export interface Seq2SeqModelOptions extends Seq2SeqOptions {
  /** Seed for the initial weights (default: Math.random). */
  seed?: number;
}

/** d2l's init_seq2seq: Xavier uniform, U(±√(6 / (fan_in + fan_out))), for a [out, in] weight. */
function xavierUniform(p: Parameter, rng: () => number): void {
  const [out, inp] = p.shape;
  const bound = Math.sqrt(6 / (inp + out));
  const data = Float32Array.from({ length: p.numel }, () => (2 * rng() - 1) * bound);
  p.ctx.writeBuffer(p.buffer, 0, data);
}

/** d2l's AdditiveAttention parameters: W_k, W_q [H, H] and w_v [1, H], no biases. */
export class AdditiveAttention extends Module {
  readonly W_k: Linear;
  readonly W_q: Linear;
  readonly w_v: Linear;
  constructor(ctx: Context, hiddenSize: number, seed: number) {
    super(ctx);
    this.W_k = this.registerModule('W_k', new Linear(ctx, { inFeatures: hiddenSize, outFeatures: hiddenSize, bias: false, seed }));
    this.W_q = this.registerModule('W_q', new Linear(ctx, { inFeatures: hiddenSize, outFeatures: hiddenSize, bias: false, seed: seed + 1 }));
    this.w_v = this.registerModule('w_v', new Linear(ctx, { inFeatures: hiddenSize, outFeatures: 1, bias: false, seed: seed + 2 }));
  }
}

export class Seq2SeqEncoder extends Module {
  readonly embedding: Embedding;
  readonly rnn: GRU;
  constructor(ctx: Context, cfg: Seq2SeqConfig, rng: () => number) {
    super(ctx);
    this.embedding = this.registerModule('embedding', new Embedding(ctx, { numEmbeddings: cfg.srcVocabSize, embeddingDim: cfg.embedSize, seed: seedFrom(rng) }));
    this.rnn = this.registerModule('rnn', new GRU(ctx, { inputSize: cfg.embedSize, hiddenSize: cfg.hiddenSize, numLayers: cfg.numLayers, dropout: cfg.dropout, seed: seedFrom(rng) }));
  }
}

/** Seq2SeqDecoder (attention false) or Seq2SeqAttentionDecoder: the same parameters but `attention`. */
export class Seq2SeqDecoder extends Module {
  readonly attention: AdditiveAttention | null;
  readonly embedding: Embedding;
  readonly rnn: GRU;
  readonly dense: Linear;
  constructor(ctx: Context, cfg: Seq2SeqConfig, rng: () => number) {
    super(ctx);
    this.attention = cfg.attention ? this.registerModule('attention', new AdditiveAttention(ctx, cfg.hiddenSize, seedFrom(rng))) : null;
    this.embedding = this.registerModule('embedding', new Embedding(ctx, { numEmbeddings: cfg.tgtVocabSize, embeddingDim: cfg.embedSize, seed: seedFrom(rng) }));
    this.rnn = this.registerModule('rnn', new GRU(ctx, {
      inputSize: cfg.embedSize + cfg.hiddenSize, hiddenSize: cfg.hiddenSize, numLayers: cfg.numLayers, dropout: cfg.dropout,
      seed: seedFrom(rng),
    }));
    this.dense = this.registerModule('dense', new Linear(ctx, { inFeatures: cfg.hiddenSize, outFeatures: cfg.tgtVocabSize, seed: seedFrom(rng) }));
  }

  /** Layer l's GRU parameters, for the fused attention decoder. */
  gruWeights(): GruWeights[] {
    const named = this.rnn.namedParameters();
    return Array.from({ length: this.rnn.numLayers }, (_, l) => ({
      wIH: named.get(`weight_ih_l${l}`)!, wHH: named.get(`weight_hh_l${l}`)!,
      bIH: named.get(`bias_ih_l${l}`)!, bHH: named.get(`bias_hh_l${l}`)!,
    }));
  }
}

const seedFrom = (rng: () => number) => Math.floor(rng() * 0x7fffffff);

/** What the encoder leaves for the decoder. */
export interface Encoded {
  /** [S, B, H] top-layer outputs (time-major). */
  outputs: Tensor;
  /** [L, B, H] final states. */
  state: Tensor;
}

export class Seq2Seq extends Module {
  readonly config: Seq2SeqConfig;
  readonly encoder: Seq2SeqEncoder;
  readonly decoder: Seq2SeqDecoder;

  constructor(ctx: Context, opts: Seq2SeqModelOptions) {
    super(ctx);
    this.config = resolveSeq2SeqOptions(opts);
    // d2l drops out between the GRU layers and, with attention, the attention weights: the fused attention decoder
    // has no dropout yet, so say so rather than train a different model.
    if (this.config.dropout > 0 && this.config.attention) {
      throw new RangeError(`Seq2Seq: dropout ${this.config.dropout} with attention is not supported yet (use 0, or attention: false)`);
    }
    const rng = initRng(opts.seed);
    this.encoder = this.registerModule('encoder', new Seq2SeqEncoder(ctx, this.config, rng));
    this.decoder = this.registerModule('decoder', new Seq2SeqDecoder(ctx, this.config, rng));
    // init_seq2seq: Xavier uniform for every Linear weight and GRU weight matrix; biases and embeddings keep theirs.
    for (const [name, p] of this.namedParameters()) {
      if (/(\.weight_(ih|hh)_l\d+|(dense|W_q|W_k|w_v)\.weight)$/.test(name)) xavierUniform(p, rng);
    }
  }

  /** Checks src [B, S], srcValidLens [B] (each 1..S) and optional decIn [B, T]; returns B, S and the lengths. */
  checkInputs(src: Tensor, srcValidLens: ArrayLike<number>, decIn?: Tensor): { B: number; S: number; lens: Int32Array } {
    const what = 'Seq2Seq';
    if (src.dtype !== 'int32' || src.shape.length !== 2) throw new RangeError(`${what}: src must be int32 [B, S], got ${src.dtype} ${shapeString(src.shape)}`);
    const [B, S] = src.shape;
    if (B < 1 || S < 1) throw new RangeError(`${what}: src ${shapeString(src.shape)} is empty`);
    assertIdsInRange(src, this.config.srcVocabSize, `${what} src (srcVocabSize ${this.config.srcVocabSize})`);
    if (srcValidLens == null || typeof srcValidLens.length !== 'number' || srcValidLens.length !== B) {
      throw new RangeError(`${what}: srcValidLens must have one length per row (${B}), got ${srcValidLens?.length}`);
    }
    const lens = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      const n = srcValidLens[b];
      if (!Number.isInteger(n) || n < 1 || n > S) throw new RangeError(`${what}: srcValidLens[${b}] = ${n} is outside 1..${S}`);
      lens[b] = n;
    }
    if (decIn) {
      if (decIn.dtype !== 'int32' || decIn.shape.length !== 2 || decIn.shape[0] !== B || decIn.shape[1] < 1) {
        throw new RangeError(`${what}: decIn must be int32 [${B}, T], got ${decIn.dtype} ${shapeString(decIn.shape)}`);
      }
      assertIdsInRange(decIn, this.config.tgtVocabSize, `${what} decIn (tgtVocabSize ${this.config.tgtVocabSize})`);
    }
    return { B, S, lens };
  }

  /** Seq2SeqEncoder: embedding → GRU over all S steps (padding included, as d2l). */
  encode(src: Tensor): Encoded {
    const srcT = transpose01(src); // [S, B]
    const emb = this.encoder.embedding.forward(srcT);
    const [outputs, state] = this.encoder.rnn.forward(emb);
    srcT.dispose();
    emb.dispose();
    return { outputs, state };
  }

  /** Values and keys of the attention: [B, S, 2H] = [enc outputs, W_k·enc outputs]. */
  keysAndValues(enc: Encoded): Tensor {
    const values = transpose01(enc.outputs); // [B, S, H]
    const keys = this.decoder.attention!.W_k.forward(values);
    const kv = cat([values, keys], 2);
    values.dispose();
    keys.dispose();
    return kv;
  }

  /** logits [B, T, tgtVocabSize] for src [B, S], srcValidLens [B] and the decoder input decIn [B, T] (teacher forcing). */
  forward(src: Tensor, srcValidLens: ArrayLike<number>, decIn: Tensor): Tensor {
    const { logits, weights } = this.run(src, srcValidLens, decIn);
    weights?.dispose();
    return logits;
  }

  /**
   * forward() and, with attention, the attention weights [B, T, S] of every decoder step over the source (no
   * gradient; null without attention): what a heat map of the alignment shows.
   */
  forwardWithAttention(src: Tensor, srcValidLens: ArrayLike<number>, decIn: Tensor): { logits: Tensor; weights: Tensor | null } {
    return this.run(src, srcValidLens, decIn);
  }

  private run(src: Tensor, srcValidLens: ArrayLike<number>, decIn: Tensor): { logits: Tensor; weights: Tensor | null } {
    const { B, lens } = this.checkInputs(src, srcValidLens, decIn);
    const T = decIn.shape[1];
    const enc = this.encode(src);
    const decInT = transpose01(decIn); // [T, B]
    const emb = this.decoder.embedding.forward(decInT); // [T, B, E]
    const temps: Tensor[] = [decInT, emb, enc.outputs, enc.state];
    let top: Tensor;
    let weights: Tensor | null = null;
    if (this.decoder.attention) {
      const kv = this.keysAndValues(enc);
      const lensT = this.ctx.tensor(lens, [B], 'int32');
      const att = this.decoder.attention;
      const r = attentionDecoder({ emb, kv, lens: lensT, h0: enc.state, wQ: att.W_q.weight, wV: att.w_v.weight, layers: this.decoder.gruWeights() });
      weights = transpose01(r.weights);
      temps.push(kv, lensT, r.hN, r.weights);
      top = r.output;
    } else {
      // d2l: the encoder's last top-layer output, the same context at every step, after the embedding.
      const last = narrow0(enc.outputs, enc.outputs.shape[0] - 1, 1); // [1, B, H]
      const context = repeatSteps(last, T); // [T, B, H]
      const x = cat([emb, context], 2);
      const [out, hN] = this.decoder.rnn.forward(x, enc.state);
      temps.push(last, context, x, hN);
      top = out;
    }
    const logits = this.decoder.dense.forward(top); // [T, B, V]
    const batchMajor = transpose01(logits);
    temps.push(top, logits);
    for (const t of temps) t.dispose();
    return { logits: batchMajor, weights };
  }

  /**
   * Decodes each row on the GPU: greedy for beamSize 1, beam search otherwise (scores = summed log-probabilities,
   * not length-normalised), at most maxLen tokens per row (eos not counted), stopping a row at eos. One read-back.
   * Returns per row the tokens without bos and eos.
   */
  async generate(src: Tensor, srcValidLens: ArrayLike<number>, options: GenerateOptions): Promise<Int32Array[]> {
    return (await generate(this, src, srcValidLens, options)).tokens;
  }

  /** generate() with each row's score (its summed log-probability). */
  generateWithScores(src: Tensor, srcValidLens: ArrayLike<number>, options: GenerateOptions): Promise<Generated> {
    return generate(this, src, srcValidLens, options);
  }

  /** Accepts webrnn's names and d2l's wrapped-GRU spelling (encoder.rnn.rnn.*, decoder.rnn.rnn.*). */
  override loadStateDict(record: Record<string, Float32Array | ArrayLike<number>>, shapes?: Record<string, readonly number[]>): void {
    super.loadStateDict(canonicalSeq2SeqStateDict(record), shapes ? canonicalSeq2SeqStateDict(shapes) : undefined);
  }
}

/** x [1, ...] → [T, ...] (the same block at every step); the gradient sums over the steps. */
function repeatSteps(x: Tensor, T: number): Tensor {
  const n = x.numel;
  const out = x.ctx.empty([T, ...x.shape.slice(1)], 'float32', 'repeat');
  copyBlockInto(out, x, { rows: T, cols: n, srcStride: 0, srcOffset: 0, dstStride: n, dstOffset: 0 });
  record('repeatSteps', [x], [out], [], ([dOut], sink) => {
    if (!sink.needs(0)) return;
    const g = sink.write(0);
    sumRowsInto(g.grad, dOut!, T, n, g.accumulate);
  });
  return out;
}
