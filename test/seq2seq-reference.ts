// A float64 CPU version of d2l 1.0's Seq2Seq forward (Seq2SeqEncoder + Seq2SeqDecoder or Seq2SeqAttentionDecoder)
// and its masked cross-entropy loss: the reference the GPU module's tests and the fixtures are checked against.
import type { Seq2SeqConfig } from '../src/seq2seq/config.js';

export type Weights = Record<string, ArrayLike<number>>;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** y[o] = Σ_i W[o, i]·x[i] (+ b[o]); W row-major [out, in]. */
function affine(W: ArrayLike<number>, x: ArrayLike<number>, out: number, b?: ArrayLike<number>): Float64Array {
  const n = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = b ? b[o]! : 0;
    for (let i = 0; i < n; i++) s += W[o * n + i]! * x[i]!;
    y[o] = s;
  }
  return y;
}

/** PyTorch's GRU cell (gates r, z, n; r applied to W_hn·h + b_hn). */
function gruCell(w: Weights, prefix: string, l: number, x: ArrayLike<number>, h: ArrayLike<number>, H: number): Float64Array {
  const gi = affine(w[`${prefix}.weight_ih_l${l}`]!, x, 3 * H, w[`${prefix}.bias_ih_l${l}`]);
  const gh = affine(w[`${prefix}.weight_hh_l${l}`]!, h, 3 * H, w[`${prefix}.bias_hh_l${l}`]);
  const next = new Float64Array(H);
  for (let j = 0; j < H; j++) {
    const r = sigmoid(gi[j]! + gh[j]!);
    const z = sigmoid(gi[H + j]! + gh[H + j]!);
    const n = Math.tanh(gi[2 * H + j]! + r * gh[2 * H + j]!);
    next[j] = (1 - z) * n + z * h[j]!;
  }
  return next;
}

const row = (table: ArrayLike<number>, id: number, width: number) =>
  Array.prototype.slice.call(table, id * width, (id + 1) * width) as number[];

/** logits [B, T, tgtVocabSize] for src [B, S], srcValidLens [B], decIn [B, T] (row-major ids). */
export function seq2seqForward(cfg: Seq2SeqConfig, w: Weights, src: ArrayLike<number>, srcValidLens: ArrayLike<number>,
  decIn: ArrayLike<number>, B: number, S: number, T: number): Float64Array {
  const { embedSize: E, hiddenSize: H, numLayers: L, tgtVocabSize: V } = cfg;
  const logits = new Float64Array(B * T * V);
  for (let b = 0; b < B; b++) {
    // encoder: every one of the S steps, padding included (d2l ignores the lengths here)
    let hs: Float64Array[] = Array.from({ length: L }, () => new Float64Array(H));
    const encOut: Float64Array[] = [];
    for (let t = 0; t < S; t++) {
      let x: ArrayLike<number> = row(w['encoder.embedding.weight']!, src[b * S + t]!, E);
      hs = hs.map((h, l) => (x = gruCell(w, 'encoder.rnn', l, x, h, H)));
      encOut.push(hs[L - 1]!);
    }
    const keys = cfg.attention ? encOut.map((k) => affine(w['decoder.attention.W_k.weight']!, k, H)) : [];
    for (let t = 0; t < T; t++) {
      const emb = row(w['decoder.embedding.weight']!, decIn[b * T + t]!, E);
      let x: ArrayLike<number>;
      if (cfg.attention) {
        const q = affine(w['decoder.attention.W_q.weight']!, hs[L - 1]!, H);
        const wv = w['decoder.attention.w_v.weight']!;
        const scores = keys.map((k, s) => {
          if (s >= srcValidLens[b]!) return -1e6; // d2l's masked_softmax
          let e = 0;
          for (let j = 0; j < H; j++) e += wv[j]! * Math.tanh(q[j]! + k[j]!);
          return e;
        });
        const m = Math.max(...scores);
        const ex = scores.map((e) => Math.exp(e - m));
        const sum = ex.reduce((a, c) => a + c, 0);
        const context = new Float64Array(H);
        encOut.forEach((v, s) => { for (let j = 0; j < H; j++) context[j] += (ex[s]! / sum) * v[j]!; });
        x = [...context, ...emb];
      } else {
        x = [...emb, ...encOut[S - 1]!]; // the encoder's last top-layer output, the same at every step
      }
      hs = hs.map((h, l) => (x = gruCell(w, 'decoder.rnn', l, x, h, H)));
      logits.set(affine(w['decoder.dense.weight']!, hs[L - 1]!, V, w['decoder.dense.bias']), (b * T + t) * V);
    }
  }
  return logits;
}

/** Cross entropy averaged over the targets that are not `pad` (d2l's masked Seq2Seq.loss). */
export function maskedCrossEntropy(logits: ArrayLike<number>, target: ArrayLike<number>, V: number, pad: number): number {
  let sum = 0, count = 0;
  for (let n = 0; n < target.length; n++) {
    if (target[n] === pad) continue;
    const r = row(logits, n, V);
    const m = Math.max(...r);
    const lse = m + Math.log(r.reduce((a, v) => a + Math.exp(v - m), 0));
    sum += lse - r[target[n]!]!;
    count++;
  }
  return sum / count;
}
