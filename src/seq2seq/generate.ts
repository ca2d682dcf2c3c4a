// Seq2Seq.generate (API.md 13): greedy (beam size 1) or beam search, decoded entirely on the GPU and batched over
// rows: per token, the embedding, the attention, one fused GRU step per layer, the dense layer, one beam step and
// a gather of each layer's state by parent beam; one read-back per call (tokens, parents and scores), then the
// back-trace on the CPU. Scores are summed log-probabilities, not length-normalised; beam 1 is greedy exactly.
import type { Tensor } from '../core/tensor.js';
import { noGrad } from '../core/autograd.js';
import { gatherInto } from '../ops/gather.js';
import { copyBlockInto } from '../ops/layout.js';
import { matmulInto } from '../ops/matmul.js';
import { attentionForwardInto } from '../ops/attention.js';
import { gruInputForwardInto, FIRST_STEP } from '../ops/gru_input_cell.js';
import { beamStepInto, MAX_BEAM } from '../ops/beam_search.js';
import type { Seq2Seq } from './model.js';

export interface GenerateOptions {
  bos: number;
  eos: number;
  /** Most tokens generated per row (eos not counted). */
  maxLen: number;
  /** 1: greedy (argmax); more: beam search with this many beams per row. */
  beamSize?: number;
}

export interface Generated {
  /** Per row, the best hypothesis without bos and eos. */
  tokens: Int32Array[];
  /** Per row, its summed log-probability (eos included when it ended on eos). */
  scores: Float32Array;
}

/** A score below any real one: the beams other than the first start here, so step 0 expands one beam only. */
const DEAD = -1e30;

function checkOptions(model: Seq2Seq, o: GenerateOptions): Required<GenerateOptions> {
  if (o === null || typeof o !== 'object') throw new TypeError('generate: options { bos, eos, maxLen } are required');
  const V = model.config.tgtVocabSize;
  for (const key of ['bos', 'eos'] as const) {
    const v = o[key];
    if (!Number.isInteger(v) || v < 0 || v >= V) throw new RangeError(`generate: ${key} must be a token id in [0, ${V}), got ${v}`);
  }
  if (!Number.isInteger(o.maxLen) || o.maxLen < 1) throw new RangeError(`generate: maxLen must be a positive integer, got ${o.maxLen}`);
  const beamSize = o.beamSize ?? 1;
  if (!Number.isInteger(beamSize) || beamSize < 1 || beamSize > MAX_BEAM) {
    throw new RangeError(`generate: beamSize must be an integer in 1..${MAX_BEAM}, got ${beamSize}`);
  }
  return { bos: o.bos, eos: o.eos, maxLen: o.maxLen, beamSize };
}

export async function generate(model: Seq2Seq, src: Tensor, srcValidLens: ArrayLike<number>, options: GenerateOptions): Promise<Generated> {
  const o = checkOptions(model, options);
  const { B, S, lens } = model.checkInputs(src, srcValidLens);
  const ctx = model.ctx;
  const { hiddenSize: H, embedSize: E, numLayers: L, tgtVocabSize: V, attention } = model.config;
  const K = o.beamSize;
  const BK = B * K;
  const I = E + H;
  const temps: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => (temps.push(t), t);
  const ids = (n: number, f: (i: number) => number) => keep(ctx.tensor(Int32Array.from({ length: n }, (_, i) => f(i)), [n], 'int32'));
  const history = keep(ctx.empty([o.maxLen * BK * 2 + BK], 'int32', 'beam-history'));
  noGrad(() => {
    const enc = model.encode(src);
    keep(enc.outputs);
    keep(enc.state);
    // Beam row r = b·K + k starts from source row b's encoder state, layer by layer.
    const states = Array.from({ length: L }, (_, l) => {
      const st = keep(ctx.empty([BK, H], 'float32', 'beam-state'));
      gatherInto(st, enc.state, ids(BK, (r) => l * B + Math.floor(r / K)), BK, H, L * B);
      return st;
    });
    const X = keep(ctx.empty([1, BK, I], 'float32', 'beam-x'));
    const embCol = attention ? H : 0; // x = [context, embedding] with attention, [embedding, context] without
    let kv: Tensor | null = null;
    let lensT: Tensor | null = null;
    const attnSaved = attention ? keep(ctx.empty([1, BK, H + S], 'float32', 'beam-attn')) : null;
    if (attention) {
      kv = keep(model.keysAndValues(enc));
      lensT = keep(ctx.tensor(lens, [B], 'int32'));
    } else {
      // d2l's fixed context: the encoder's last top-layer output, per beam row.
      const context = keep(ctx.empty([BK, H], 'float32', 'beam-context'));
      gatherInto(context, enc.state, ids(BK, (r) => (L - 1) * B + Math.floor(r / K)), BK, H, L * B);
      copyBlockInto(X, context, { rows: BK, cols: H, srcStride: H, srcOffset: 0, dstStride: I, dstOffset: E });
    }
    const emb = keep(ctx.empty([BK, E], 'float32', 'beam-emb'));
    const outs = Array.from({ length: L }, () => keep(ctx.empty([1, BK, H], 'float32', 'beam-out')));
    const logits = keep(ctx.empty([BK, V], 'float32', 'beam-logits'));
    const scores = keep(ctx.tensor(Float32Array.from({ length: BK }, (_, r) => (r % K === 0 ? 0 : DEAD)), [BK]));
    const done = keep(ctx.zeros([BK], 'int32', 'beam-done'));
    const next = ids(BK, () => o.bos);
    const parents = keep(ctx.empty([BK], 'int32', 'beam-parents'));
    const weights = model.decoder.gruWeights();
    const dec = model.decoder;
    for (let step = 0; step < o.maxLen; step++) {
      gatherInto(emb, dec.embedding.weight, next, BK, E, V);
      copyBlockInto(X, emb, { rows: BK, cols: E, srcStride: E, srcOffset: 0, dstStride: I, dstOffset: embCol });
      if (attention) {
        attentionForwardInto(states[L - 1], dec.attention!.W_q.weight, dec.attention!.w_v.weight, kv!, lensT!, X, attnSaved!,
          { B: BK, S, H, I, t: 0, qRow: 0, kvDiv: K });
      }
      weights.forEach((w, l) => gruInputForwardInto(l === 0 ? X : outs[l - 1], w, states[l], outs[l], null,
        { B: BK, H, I: l === 0 ? I : H, xRow: 0, outRow: 0, prevRow: FIRST_STEP, h0Row: 0 }));
      matmulInto(logits, outs[L - 1], dec.dense.weight, BK, V, H, { transB: true, bias: dec.dense.bias });
      beamStepInto(logits, scores, done, history, next, parents, { B, K, V, eos: o.eos, step, last: step === o.maxLen - 1 });
      outs.forEach((out, l) => gatherInto(states[l], out, parents, BK, H, BK));
    }
    ctx.copyBuffer(scores.buffer, 0, history.buffer, o.maxLen * BK * 2 * 4, BK * 4);
  });
  try {
    const raw = (await history.read()) as Int32Array;
    const finalScores = new Float32Array(raw.buffer, raw.byteOffset + o.maxLen * BK * 2 * 4, BK);
    const tokens = Array.from({ length: B }, (_, b) => {
      const out: number[] = [];
      let k = 0; // the beams are sorted best first
      for (let step = o.maxLen - 1; step >= 0; step--) {
        const h = (step * BK + b * K + k) * 2;
        const token = raw[h];
        if (token >= 0 && token !== o.eos) out.push(token);
        k = raw[h + 1];
      }
      return Int32Array.from(out.reverse());
    });
    return { tokens, scores: Float32Array.from({ length: B }, (_, b) => finalScores[b * K]) };
  } finally {
    for (const t of temps) t.dispose();
  }
}
