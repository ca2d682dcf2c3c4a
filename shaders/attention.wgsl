// Additive (Bahdanau) attention of one decoder step, d2l's AdditiveAttention with W_q, W_k, w_v (no biases):
//   q = W_q·h_{t−1}                          (the previous top-layer state is the query)
//   e_s = w_v·tanh(q + k_s)                  (k_s = W_k·enc_s, precomputed for all s outside the loop)
//   a = softmax(e masked with −1e6 at s >= valid_len)   (d2l's masked_softmax)
//   context = Σ_s a_s v_s                    (v_s = enc_s)
// One workgroup per decoder row. Forward writes the context into the first H columns of the row's GRU input
// x_t = [context, embedding] and saves q and a. Backward, from dcontext (those columns of dx_t):
//   da_s = dcontext·v_s,  de_s = a_s (da_s − Σ a·da),  dv_s += a_s dcontext
//   dpre_sj = de_s w_v[j] (1 − f_sj²) with f_sj = tanh(q_j + k_sj):  dk_s += dpre_s,  dq = Σ_s dpre_s,
//   dw_v (this row and step) = Σ_s de_s f_s,  dh_{t−1} += W_qᵀ·dq
// Keys and values come as one tensor kv [B, S, 2H] (values, then keys) and dq with dw_v's partials as one
// [T, B, 2H], so each entry point stays within 8 storage buffers.

const WG: u32 = 64u;
const MAX_S: u32 = 1024u;  // source positions a workgroup holds scores for
const MASKED: f32 = -1e6;  // d2l's masked_softmax fill value

struct AttnParams {
  B: u32,       // decoder rows
  S: u32,       // source positions
  H: u32,
  I: u32,       // width of x (H + embedSize)
  t: u32,       // row block of x, saved (and dq) this step uses
  q_row: u32,   // row block of qsrc holding h_{t−1}
  kv_div: u32,  // decoder rows per source row (beam search: the beam size; else 1)
}

@group(0) @binding(0) var<uniform> p: AttnParams;
@group(0) @binding(1) var<storage, read> qsrc: array<f32>;            // [rows, B, H] previous top-layer states
@group(0) @binding(2) var<storage, read> w_q: array<f32>;             // [H, H]
@group(0) @binding(3) var<storage, read> w_v: array<f32>;             // [1, H]
@group(0) @binding(4) var<storage, read> kv: array<f32>;              // [B / kv_div, S, 2H] values, keys
@group(0) @binding(5) var<storage, read> lens: array<i32>;            // [B / kv_div] valid source lengths
@group(0) @binding(6) var<storage, read_write> x: array<f32>;         // [T, B, I] context written to columns [0, H)
@group(0) @binding(7) var<storage, read_write> saved: array<f32>;     // [T, B, H + S] q, then the attention weights

@group(0) @binding(8) var<storage, read> dx_in: array<f32>;           // [T, B, I] gradient of x (columns [0, H) used)
@group(0) @binding(9) var<storage, read> saved_in: array<f32>;        // [T, B, H + S] what forward saved
@group(0) @binding(10) var<storage, read_write> dkv: array<f32>;      // [B, S, 2H] accumulated over steps
@group(0) @binding(11) var<storage, read_write> dq_out: array<f32>;   // [T, B, 2H] dq, then this step's dw_v part
@group(0) @binding(12) var<storage, read_write> dh: array<f32>;       // [B, H] gradient of h_{t−1}: W_qᵀ·dq added

var<workgroup> qtile: array<f32, WG>;
var<workgroup> scores: array<f32, MAX_S>;

fn feature(v: f32) -> f32 {
  return tanh(clamp(v, -15.0, 15.0));
}

@compute @workgroup_size(WG)
fn attention_forward(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let H = p.H;
  let S = p.S;
  let b = wid.x;
  let kb = b / p.kv_div;
  let so = (p.t * p.B + b) * (H + S);
  for (var s = lid.x; s < S; s += WG) { scores[s] = 0.0; }
  workgroupBarrier();
  // q in tiles of WG units; each tile's share of every score is added before the next tile.
  for (var j0 = 0u; j0 < H; j0 += WG) {
    let j = j0 + lid.x;
    var qj = 0.0;
    if (j < H) {
      let ho = (p.q_row * p.B + b) * H;
      for (var k = 0u; k < H; k++) { qj = fma(w_q[j * H + k], qsrc[ho + k], qj); }
      saved[so + j] = qj;
    }
    qtile[lid.x] = qj;
    workgroupBarrier();
    let n = min(WG, H - j0);
    for (var s = lid.x; s < S; s += WG) {
      let ko = (kb * S + s) * 2u * H + H + j0;
      var acc = 0.0;
      for (var jj = 0u; jj < n; jj++) { acc = fma(w_v[j0 + jj], feature(qtile[jj] + kv[ko + jj]), acc); }
      scores[s] += acc;
    }
    workgroupBarrier();
  }
  let len = u32(max(lens[kb], 0));
  var m = MASKED;
  for (var s = 0u; s < S; s++) { m = max(m, select(MASKED, scores[s], s < len)); }
  var total = 0.0;
  for (var s = 0u; s < S; s++) { total += exp(select(MASKED, scores[s], s < len) - m); }
  workgroupBarrier();  // every thread has read the scores before they become weights
  for (var s = lid.x; s < S; s += WG) {
    let a = exp(select(MASKED, scores[s], s < len) - m) / total;
    scores[s] = a;
    saved[so + H + s] = a;
  }
  workgroupBarrier();
  let xo = (p.t * p.B + b) * p.I;
  for (var j = lid.x; j < H; j += WG) {
    var c = 0.0;
    for (var s = 0u; s < S; s++) { c = fma(scores[s], kv[(kb * S + s) * 2u * H + j], c); }
    x[xo + j] = c;
  }
}

@compute @workgroup_size(WG)
fn attention_backward(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let H = p.H;
  let S = p.S;
  let b = wid.x;
  let so = (p.t * p.B + b) * (H + S);
  let xo = (p.t * p.B + b) * p.I;
  for (var s = lid.x; s < S; s += WG) {
    let vo = (b * S + s) * 2u * H;
    var da = 0.0;
    for (var j = 0u; j < H; j++) { da = fma(dx_in[xo + j], kv[vo + j], da); }
    scores[s] = da;
  }
  workgroupBarrier();
  var ada = 0.0;
  for (var s = 0u; s < S; s++) { ada = fma(saved_in[so + H + s], scores[s], ada); }
  workgroupBarrier();  // every thread has its Σ a·da before da becomes de
  for (var s = lid.x; s < S; s += WG) { scores[s] = saved_in[so + H + s] * (scores[s] - ada); }
  workgroupBarrier();
  let qo = (p.t * p.B + b) * 2u * H;
  for (var j = lid.x; j < H; j += WG) {
    let dc = dx_in[xo + j];
    let qj = saved_in[so + j];
    let wv = w_v[j];
    var dq = 0.0;
    var dwv = 0.0;
    for (var s = 0u; s < S; s++) {
      let r = (b * S + s) * 2u * H;
      let de = scores[s];
      dkv[r + j] += saved_in[so + H + s] * dc;
      let f = feature(qj + kv[r + H + j]);
      dwv = fma(de, f, dwv);
      let dpre = de * wv * (1.0 - f * f);
      dkv[r + H + j] += dpre;
      dq += dpre;
    }
    dq_out[qo + j] = dq;
    dq_out[qo + H + j] = dwv;
  }
  storageBarrier();  // the row's dq, written above by the whole workgroup, is read by every thread below
  for (var k = lid.x; k < H; k += WG) {
    var acc = 0.0;
    for (var j = 0u; j < H; j++) { acc = fma(w_q[j * H + k], dq_out[qo + j], acc); }
    dh[b * H + k] += acc;
  }
}
