// Picks the next token from one row of logits on the GPU, so generation needs no per-character read-back.
// Greedy (temperature 0): argmax, lowest index on ties (as torch.argmax). Otherwise: inverse-CDF sampling
// of softmax(logits / temperature) with a uniform number drawn on the CPU beforehand.

struct Params {
  V: u32,            // vocabulary size
  position: u32,     // where in `generated` this token goes
  temperature: f32,  // 0 = greedy
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;          // [V] (the last row)
@group(0) @binding(2) var<storage, read> uniforms: array<f32>;        // [numChars] uniform draws in [0, 1)
@group(0) @binding(3) var<storage, read_write> generated: array<i32>; // [numChars] every token picked so far
@group(0) @binding(4) var<storage, read_write> next_id: array<i32>;   // [1] the next step's input id

// WG and workgroup_sum come from common.wgsl (appended).
var<workgroup> best_val: array<f32, WG>;
var<workgroup> best_idx: array<u32, WG>;

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
    // Softmax normaliser, then thread 0 walks the CDF (V is a vocabulary: a few thousand at most).
    var s = 0.0;
    for (var v = li; v < p.V; v += WG) { s += exp((logits[v] - maxv) / p.temperature); }
    let total = workgroup_sum(li, s);
    if (li == 0u) {
      let threshold = uniforms[p.position] * total;
      var acc = 0.0;
      for (var v = 0u; v < p.V; v++) {
        acc += exp((logits[v] - maxv) / p.temperature);
        if (acc > threshold) { choice = v; break; }
      }
    }
  }
  if (li == 0u) {
    generated[p.position] = i32(choice);
    next_id[0] = i32(choice);
  }
}
