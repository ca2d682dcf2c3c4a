// Picks the next token from one row of logits on the GPU, so generation needs no per-character read-back.
// Greedy (temperature 0): argmax, lowest index on ties (as torch.argmax). Otherwise: inverse-CDF sampling
// of softmax(logits / temperature) with a uniform number drawn on the CPU beforehand (seeded), restricted to
//   top-k: the tokens whose logit is at least the k-th largest (ties at the k-th are kept), then
//   top-p: of those, the tokens with less than p of the (renormalised) probability strictly above them, i.e.
//          the smallest most-likely set holding at least p (nucleus sampling; ties kept together).
// Both keep the tokens whose order key is at least a threshold K, found bit by bit from the top (32 steps):
// the largest K with count(key >= K) >= k, then the largest with mass(key >= K) >= p * mass(kept).
// The CDF is then walked in index order over the kept tokens. test/ops-sample.test.ts has the CPU reference.

struct Params {
  V: u32,            // vocabulary size
  position: u32,     // where in `generated` this token goes
  temperature: f32,  // 0 = greedy
  top_k: u32,        // 0 (or >= V) = no top-k filter
  top_p: f32,        // in (0, 1]; 1 = no top-p filter
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;          // [V] (the last row)
@group(0) @binding(2) var<storage, read> uniforms: array<f32>;        // [numChars] uniform draws in [0, 1)
@group(0) @binding(3) var<storage, read_write> generated: array<i32>; // [numChars] every token picked so far
@group(0) @binding(4) var<storage, read_write> next_id: array<i32>;   // [1] the next step's input id

// WG and workgroup_sum come from common.wgsl (appended).
var<workgroup> best_val: array<f32, WG>;
var<workgroup> best_idx: array<u32, WG>;

// Order-preserving map of a float to u32 (a < b ⇔ key(a) < key(b)); NaN maps to 0, below every kept threshold.
// NaN is found from the bits: compilers may fold `x != x` away.
fn order_key(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  if ((b & 0x7fffffffu) > 0x7f800000u) { return 0u; }
  if ((b & 0x80000000u) != 0u) { return ~b; }
  return b | 0x80000000u;
}

// This thread's share of the tokens with key >= threshold: their count, or their unnormalised probability.
fn kept_count(li: u32, threshold: u32) -> f32 {
  var n = 0.0;
  for (var v = li; v < p.V; v += WG) { if (order_key(logits[v]) >= threshold) { n += 1.0; } }
  return n;
}

fn kept_mass(li: u32, threshold: u32, maxv: f32) -> f32 {
  var s = 0.0;
  for (var v = li; v < p.V; v += WG) {
    let x = logits[v];
    if (order_key(x) >= threshold) { s += exp((x - maxv) / p.temperature); }
  }
  return s;
}

// One workgroup. Every thread scans a strided slice, then a tree reduction combines them.
@compute @workgroup_size(WG)
fn sample_token(@builtin(local_invocation_index) li: u32) {
  var bv = -3.4e38;
  var bi = 0xffffffffu;
  for (var v = li; v < p.V; v += WG) {
    let x = logits[v];
    if (x > bv || (x == bv && v < bi)) { bv = x; bi = v; }
  }
  best_val[li] = bv;
  best_idx[li] = bi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (li < s) {
      let ov = best_val[li + s];
      let oi = best_idx[li + s];
      if (ov > best_val[li] || (ov == best_val[li] && oi < best_idx[li])) { best_val[li] = ov; best_idx[li] = oi; }
    }
    workgroupBarrier();
  }
  let maxv = best_val[0];
  var choice = best_idx[0];
  if (p.temperature > 0.0) {
    var threshold = 1u; // every token but NaN
    if (p.top_k > 0u && p.top_k < p.V) {
      var k_key = 0u;
      for (var bit = 31; bit >= 0; bit--) {
        let candidate = k_key | (1u << u32(bit));
        if (workgroup_sum(li, kept_count(li, candidate)) >= f32(p.top_k)) { k_key = candidate; }
      }
      threshold = max(threshold, k_key);
    }
    if (p.top_p < 1.0) {
      let wanted = p.top_p * workgroup_sum(li, kept_mass(li, threshold, maxv));
      var p_key = 0u;
      for (var bit = 31; bit >= 0; bit--) {
        let candidate = p_key | (1u << u32(bit));
        if (workgroup_sum(li, kept_mass(li, max(candidate, threshold), maxv)) >= wanted) { p_key = candidate; }
      }
      threshold = max(threshold, p_key);
    }
    // Normaliser of the kept tokens, then thread 0 walks their CDF (V is a vocabulary: a few thousand at most).
    let total = workgroup_sum(li, kept_mass(li, threshold, maxv));
    if (li == 0u) {
      let draw = uniforms[p.position] * total;
      var acc = 0.0;
      for (var v = 0u; v < p.V; v++) {
        let x = logits[v];
        if (order_key(x) < threshold) { continue; }
        acc += exp((x - maxv) / p.temperature);
        if (acc > draw) { choice = v; break; }
      }
    }
  }
  if (li == 0u) {
    generated[p.position] = i32(choice);
    next_id[0] = i32(choice);
  }
}
