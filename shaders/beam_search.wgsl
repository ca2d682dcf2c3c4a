// One step of batched beam search on the GPU (greedy is beam size 1), so decoding never waits for the CPU.
// Each source row b has K beams: a score (summed log-probabilities, not length-normalised) and a done flag.
// Candidates: a live beam k offers every token v with score_k + log_softmax(logits_k)[v]; a done beam offers
// itself once, unchanged. The K best candidates (ties: the lower index k·V + v) become the new beams, best first.
// A beam is done once it chose eos, or at the last step (maxLen tokens). The history keeps, per step and new
// beam, the token (−1 for a done beam carried on) and the parent beam, for the back-trace after one read-back.
// One workgroup per source row.

const WG: u32 = 64u;
const MAX_BEAM: u32 = 64u;
const NOT_CANDIDATE: f32 = -3.0e38;  // a done beam's other tokens

struct BeamParams {
  B: u32,     // source rows
  K: u32,     // beams per row
  V: u32,     // vocabulary
  eos: u32,
  step: u32,  // history row
  last: u32,  // 1 at the last step: every beam is done after it
}

@group(0) @binding(0) var<uniform> p: BeamParams;
@group(0) @binding(1) var<storage, read> logits: array<f32>;           // [B·K, V] this step's logits per beam
@group(0) @binding(2) var<storage, read_write> scores: array<f32>;     // [B·K] summed log-probabilities
@group(0) @binding(3) var<storage, read_write> done: array<i32>;       // [B·K] 1 once a beam has ended
@group(0) @binding(4) var<storage, read_write> history: array<i32>;    // [steps, B·K, 2] token (−1: none), parent beam
@group(0) @binding(5) var<storage, read_write> next_ids: array<i32>;   // [B·K] the next step's input tokens
@group(0) @binding(6) var<storage, read_write> parents: array<i32>;    // [B·K] the row (b·K + parent) each new beam continues

var<workgroup> lse: array<f32, MAX_BEAM>;
var<workgroup> base: array<f32, MAX_BEAM>;
var<workgroup> finished: array<u32, MAX_BEAM>;
var<workgroup> chosen: array<u32, MAX_BEAM>;
var<workgroup> chosen_score: array<f32, MAX_BEAM>;
var<workgroup> best_score: array<f32, WG>;
var<workgroup> best_index: array<u32, WG>;

// (score, index) a is better than b: higher score, or the same score and a lower index.
fn better(sa: f32, ia: u32, sb: f32, ib: u32) -> bool {
  return sa > sb || (sa == sb && ia < ib);
}

@compute @workgroup_size(WG)
fn beam_step(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let b = wid.x;
  let K = p.K;
  let V = p.V;
  for (var k = lid.x; k < K; k += WG) {
    let row = (b * K + k) * V;
    var m = logits[row];
    for (var v = 1u; v < V; v++) { m = max(m, logits[row + v]); }
    var total = 0.0;
    for (var v = 0u; v < V; v++) { total += exp(logits[row + v] - m); }
    lse[k] = m + log(total);
    base[k] = scores[b * K + k];
    finished[k] = u32(done[b * K + k] != 0);
  }
  workgroupBarrier();
  for (var pick = 0u; pick < K; pick++) {
    var bs = NOT_CANDIDATE;
    var bi = 0xffffffffu;
    for (var c = lid.x; c < K * V; c += WG) {
      var taken = false;
      for (var q = 0u; q < pick; q++) { taken = taken || chosen[q] == c; }
      let k = c / V;
      let v = c % V;
      if (taken || (finished[k] != 0u && v != 0u)) { continue; }
      var sc = base[k];
      if (finished[k] == 0u) { sc += logits[(b * K + k) * V + v] - lse[k]; }
      if (bi == 0xffffffffu || better(sc, c, bs, bi)) { bs = sc; bi = c; }
    }
    best_score[lid.x] = bs;
    best_index[lid.x] = bi;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
      if (lid.x < stride) {
        let oi = best_index[lid.x + stride];
        let os = best_score[lid.x + stride];
        if (oi != 0xffffffffu && (best_index[lid.x] == 0xffffffffu || better(os, oi, best_score[lid.x], best_index[lid.x]))) {
          best_score[lid.x] = os;
          best_index[lid.x] = oi;
        }
      }
      workgroupBarrier();
    }
    if (lid.x == 0u) {
      chosen[pick] = best_index[0];
      chosen_score[pick] = best_score[0];
    }
    workgroupBarrier();
  }
  for (var pick = lid.x; pick < K; pick += WG) {
    let c = chosen[pick];
    let k = c / V;
    let v = c % V;
    let r = b * K + pick;
    let carried = finished[k] != 0u;
    scores[r] = chosen_score[pick];
    done[r] = i32(carried || v == p.eos || p.last != 0u);
    let h = (p.step * p.B * K + r) * 2u;
    history[h] = select(i32(v), -1, carried);
    history[h + 1u] = i32(k);
    next_ids[r] = select(i32(v), i32(p.eos), carried);
    parents[r] = i32(b * K + k);
  }
}
