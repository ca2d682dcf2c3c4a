// d2l's Seq2SeqAttentionDecoder as one tape op: per step, the additive attention (query projection, scores, masked
// softmax, context: one dispatch) and each GRU layer (with its own input projection: one dispatch), forward and
// backward. Weight gradients are a few large matmuls over all T·B rows after BPTT, as in the fused layers.
import type { Tensor } from '../core/tensor.js';
import { record, needsGrad, type GradSink } from '../core/autograd.js';
import { shapeString } from '../core/shape.js';
import { copyBlockInto } from '../ops/layout.js';
import { matmulInto } from '../ops/matmul.js';
import { sumRowsInto } from '../ops/reduce.js';
import { attentionForwardInto, attentionBackwardInto, MAX_SOURCE_LENGTH } from '../ops/attention.js';
import { gruInputForwardInto, gruInputBackwardInto, FIRST_STEP, type GruWeights } from '../ops/gru_input_cell.js';

export interface AttentionDecoderArgs {
  emb: Tensor; // [T, B, E] embedded decoder inputs, time-major
  kv: Tensor; // [B, S, 2H] encoder outputs (values) then W_k·them (keys)
  lens: Tensor; // int32 [B] valid source lengths, each 1..S
  h0: Tensor; // [L, B, H] initial states (the encoder's final states)
  wQ: Tensor; // [H, H]
  wV: Tensor; // [1, H]
  layers: readonly GruWeights[]; // layer 0: W_ih [3H, H + E] over x = [context, embedding]
}

export interface AttentionDecoderResult {
  output: Tensor; // [T, B, H] top layer's state at every step
  hN: Tensor; // [L, B, H]
  weights: Tensor; // [T, B, S] attention weights (no gradient)
}

/** A [rows, cols] block of a [rows, stride] buffer, starting at column `from`, as a new contiguous tensor. */
function columns(src: Tensor, rows: number, stride: number, from: number, cols: number, shape: number[]): Tensor {
  const out = src.ctx.empty(shape, 'float32', 'columns');
  copyBlockInto(out, src, { rows, cols, srcStride: stride, srcOffset: from, dstStride: cols, dstOffset: 0 });
  return out;
}

// Tape input indices: emb, kv, h0, wQ, wV, then each layer's wIH, wHH, bIH, bHH.
const EMB = 0, KV = 1, H0 = 2, WQ = 3, WV = 4, LAYER0 = 5;

export function attentionDecoder(a: AttentionDecoderArgs): AttentionDecoderResult {
  const [T, B, E] = a.emb.shape;
  const L = a.layers.length;
  const H = a.wQ.shape[0];
  const S = a.kv.shape[1];
  const I = H + E;
  const what = 'attention decoder';
  if (a.emb.shape.length !== 3 || T < 1) throw new RangeError(`${what}: embeddings ${shapeString(a.emb.shape)} should be [T, B, E]`);
  if (a.kv.shape.length !== 3 || a.kv.shape[0] !== B || a.kv.shape[2] !== 2 * H) {
    throw new RangeError(`${what}: keys and values ${shapeString(a.kv.shape)} should be [${B}, S, ${2 * H}]`);
  }
  if (S > MAX_SOURCE_LENGTH) throw new RangeError(`${what}: the source has ${S} positions, at most ${MAX_SOURCE_LENGTH} are supported`);
  if (a.h0.shape.length !== 3 || a.h0.shape[0] !== L || a.h0.shape[1] !== B || a.h0.shape[2] !== H) {
    throw new RangeError(`${what}: h0 ${shapeString(a.h0.shape)} should be [${L}, ${B}, ${H}]`);
  }
  if (a.lens.dtype !== 'int32' || a.lens.numel !== B) throw new RangeError(`${what}: lens must be int32 [${B}]`);
  const ctx = a.emb.ctx;
  const inputs = [a.emb, a.kv, a.h0, a.wQ, a.wV, ...a.layers.flatMap((w) => [w.wIH, w.wHH, w.bIH, w.bHH])];
  const save = needsGrad(...inputs);

  // x_t = [context_t, embedding_t]: the embeddings go in once, the attention fills the context per step.
  const X = ctx.empty([T, B, I], 'float32', 'attn-x');
  copyBlockInto(X, a.emb, { rows: T * B, cols: E, srcStride: E, srcOffset: 0, dstStride: I, dstOffset: H });
  const attnSaved = ctx.empty([T, B, H + S], 'float32', 'attn-saved');
  const outs = a.layers.map(() => ctx.empty([T, B, H], 'float32', 'attn-dec-out'));
  const saved = a.layers.map(() => (save ? ctx.empty([T, B, 5 * H], 'float32', 'attn-dec-saved') : null));
  const widthOf = (l: number) => (l === 0 ? I : H);
  const rowsOf = (l: number, t: number) => ({ B, H, I: widthOf(l), xRow: t, outRow: t, prevRow: t === 0 ? FIRST_STEP : t - 1, h0Row: l });
  for (let t = 0; t < T; t++) {
    const first = t === 0;
    attentionForwardInto(first ? a.h0 : outs[L - 1], a.wQ, a.wV, a.kv, a.lens, X, attnSaved,
      { B, S, H, I, t, qRow: first ? L - 1 : t - 1, kvDiv: 1 });
    a.layers.forEach((w, l) => gruInputForwardInto(l === 0 ? X : outs[l - 1], w, a.h0, outs[l], saved[l], rowsOf(l, t)));
  }
  const hN = ctx.empty([L, B, H], 'float32', 'attn-dec-hn');
  outs.forEach((o, l) => copyBlockInto(hN, o, { rows: 1, cols: B * H, srcStride: 0, srcOffset: (T - 1) * B * H, dstStride: 0, dstOffset: l * B * H }));
  const weights = columns(attnSaved, T * B, H + S, H, S, [T, B, S]);
  const output = outs[L - 1];

  const keep = save ? [X, attnSaved, a.kv, a.wQ, a.wV, ...outs.slice(0, L - 1), ...(saved as Tensor[]), ...inputs.slice(LAYER0)] : [];
  record('Seq2SeqAttentionDecoder', inputs, [output, hN], keep, ([dOut, dHN], sink, s) => {
    const [sX, sAttn, sKV, sWQ, sWV] = s;
    const sOuts = s.slice(5, 5 + L - 1);
    const sSaved = s.slice(4 + L, 4 + 2 * L);
    const sW = a.layers.map((_, l) => {
      const [wIH, wHH, bIH, bHH] = s.slice(4 + 2 * L + 4 * l, 4 + 2 * L + 4 * l + 4);
      return { wIH, wHH, bIH, bHH };
    });
    attentionDecoderBackward(sink, { dOut, dHN, X: sX, attnSaved: sAttn, kv: sKV, wQ: sWQ, wV: sWV, outs: sOuts, saved: sSaved, w: sW, T, B, S, H, E, L });
  });
  // The tape holds its own views; the caller gets output, hN and the weights.
  X.dispose();
  attnSaved.dispose();
  outs.slice(0, L - 1).forEach((o) => o.dispose());
  saved.forEach((t) => t?.dispose());
  return { output, hN, weights };
}

interface BackwardState {
  dOut: Tensor | null; dHN: Tensor | null;
  X: Tensor; attnSaved: Tensor; kv: Tensor; wQ: Tensor; wV: Tensor;
  outs: Tensor[]; saved: Tensor[]; w: GruWeights[];
  T: number; B: number; S: number; H: number; E: number; L: number;
}

function attentionDecoderBackward(sink: GradSink, st: BackwardState): void {
  const { T, B, S, H, E, L } = st;
  const I = H + E;
  const ctx = st.X.ctx;
  const rows = T * B;
  const temps: Tensor[] = [];
  const tmp = (shape: number[], label: string, zero = false) => {
    const t = zero ? ctx.zeros(shape, 'float32', label) : ctx.empty(shape, 'float32', label);
    temps.push(t);
    return t;
  };
  const dX = tmp([T, B, I], 'attn-dx');
  const dKV = tmp([B, S, 2 * H], 'attn-dkv', true);
  const dQW = tmp([T, B, 2 * H], 'attn-dq');
  const dgates = st.w.map(() => tmp([T, B, 4 * H], 'attn-dgates'));
  // Gradient of layer l's outputs from layer l + 1's inputs (the top layer's comes from dOut).
  const dBelow = st.w.slice(1).map(() => tmp([T, B, H], 'attn-dbelow'));
  // Each layer's state gradient alternates between two [B, H] buffers; `cur` holds the gradient of h_t.
  const dh = st.w.map((_, l) => {
    const pair = [tmp([B, H], 'attn-dh'), tmp([B, H], 'attn-dh')];
    if (st.dHN) copyBlockInto(pair[0], st.dHN, { rows: 1, cols: B * H, srcStride: 0, srcOffset: l * B * H, dstStride: 0, dstOffset: 0 });
    else ctx.fillBuffer(pair[0].buffer, 0, B * H);
    return { pair, cur: 0 };
  });
  for (let t = T - 1; t >= 0; t--) {
    for (let l = L - 1; l >= 0; l--) {
      const d = dh[l];
      const rowsT = { B, H, I: l === 0 ? I : H, xRow: t, outRow: t, prevRow: t === 0 ? FIRST_STEP : t - 1, h0Row: l };
      const dout = l === L - 1 ? st.dOut : dBelow[l];
      gruInputBackwardInto(st.w[l], dout, d.pair[d.cur], d.pair[1 - d.cur], st.saved[l], dgates[l], l === 0 ? dX : dBelow[l - 1], rowsT);
      d.cur = 1 - d.cur;
    }
    const top = dh[L - 1];
    attentionBackwardInto(dX, st.attnSaved, st.kv, st.wV, st.wQ, dKV, dQW, top.pair[top.cur], { B, S, H, I, t, qRow: 0, kvDiv: 1 });
  }

  // Weight gradients over all T·B rows. Layer l's recurrent side reads the states each step started from.
  const hPrev = st.saved.map((sv) => columns(sv, rows, 5 * H, 4 * H, H, [rows, H]));
  temps.push(...hPrev);
  st.w.forEach((_, l) => {
    const base = LAYER0 + 4 * l;
    const needX = sink.needs(base) || sink.needs(base + 2);
    const needH = sink.needs(base + 1) || sink.needs(base + 3);
    const G = dgates[l];
    if (needX) {
      const dGX = columns(G, rows, 4 * H, 0, 3 * H, [rows, 3 * H]);
      temps.push(dGX);
      if (sink.needs(base)) {
        const layerIn = l === 0 ? st.X : st.outs[l - 1];
        const g = sink.write(base);
        matmulInto(g.grad, dGX, layerIn, 3 * H, l === 0 ? I : H, rows, { transA: true, accumulate: g.accumulate });
      }
      if (sink.needs(base + 2)) {
        const g = sink.write(base + 2);
        sumRowsInto(g.grad, dGX, rows, 3 * H, g.accumulate);
      }
    }
    if (needH) {
      const dGH = ctx.empty([rows, 3 * H], 'float32', 'attn-dgh');
      temps.push(dGH);
      copyBlockInto(dGH, G, { rows, cols: 2 * H, srcStride: 4 * H, srcOffset: 0, dstStride: 3 * H, dstOffset: 0 });
      copyBlockInto(dGH, G, { rows, cols: H, srcStride: 4 * H, srcOffset: 3 * H, dstStride: 3 * H, dstOffset: 2 * H });
      if (sink.needs(base + 1)) {
        const g = sink.write(base + 1);
        matmulInto(g.grad, dGH, hPrev[l], 3 * H, H, rows, { transA: true, accumulate: g.accumulate });
      }
      if (sink.needs(base + 3)) {
        const g = sink.write(base + 3);
        sumRowsInto(g.grad, dGH, rows, 3 * H, g.accumulate);
      }
    }
  });
  if (sink.needs(WQ)) {
    const dq = columns(dQW, rows, 2 * H, 0, H, [rows, H]);
    temps.push(dq);
    const g = sink.write(WQ);
    matmulInto(g.grad, dq, hPrev[L - 1], H, H, rows, { transA: true, accumulate: g.accumulate }); // the queries' states
  }
  if (sink.needs(WV)) {
    const part = columns(dQW, rows, 2 * H, H, H, [rows, H]);
    temps.push(part);
    const g = sink.write(WV);
    sumRowsInto(g.grad, part, rows, H, g.accumulate);
  }
  if (sink.needs(H0)) {
    const dh0 = ctx.empty([L, B, H], 'float32', 'attn-dh0');
    dh.forEach((d, l) => copyBlockInto(dh0, d.pair[d.cur], { rows: 1, cols: B * H, srcStride: 0, srcOffset: 0, dstStride: 0, dstOffset: l * B * H }));
    sink.pass(H0, dh0);
    dh0.dispose();
  }
  if (sink.needs(EMB)) {
    const dEmb = columns(dX, rows, I, H, E, [T, B, E]);
    sink.pass(EMB, dEmb);
    dEmb.dispose();
  }
  if (sink.needs(KV)) sink.pass(KV, dKV);
  for (const t of temps) t.dispose();
}
