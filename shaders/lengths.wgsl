// Per-row state copies of the recurrent layers (ops/recurrence.ts), with or without variable lengths (API.md
// 10: row b runs the steps t < len[b]; the forward direction ends at step len[b] − 1 and the reverse direction
// starts there).
//   final_h / final_hc: h_N (and c_N) of every direction in one dispatch: direction d's state after its last
//     processed step of row b (forward: len[b] − 1, or T − 1; reverse: 0), into rows [at, at + D) of the stack
//     of all layers' states (one direction per op; with two, the cell's last steps write them, step_finals.wgsl)
//   first_step_scatter: steps[t, b, k] = state[b, k] for t in [len[b] − 1, T)
//     (h0 into the reverse direction's previous states: until its first step a row is at h0)

struct FinalParams {
  T: u32,
  B: u32,
  P: u32,        // features of h
  H: u32,        // features of c (hidden units; P ≤ H)
  D: u32,        // directions
  reverse: u32,  // 1: direction 0 runs backwards (direction 1 always does)
  at: u32,       // the first row of hn / cn written: this layer's in the stack of all layers' states
}

struct RowStepParams {
  T: u32,
  B: u32,
  W: u32,       // features per row
  src_at: u32,  // where the state starts in src
}

@group(0) @binding(0) var<uniform> fp: FinalParams;
@group(0) @binding(1) var<uniform> p: RowStepParams;
@group(0) @binding(2) var<storage, read> lengths: array<i32>;    // [B] steps per row, each 1..T (HAS_LENGTHS)
@group(0) @binding(3) var<storage, read> src: array<f32>;        // scatter: state [B, W] from src_at
@group(0) @binding(4) var<storage, read_write> dst: array<f32>;  // scatter: steps [T, B, W]
@group(0) @binding(5) var<storage, read> out: array<f32>;        // final: h at every step [T, B, D·P]
@group(0) @binding(6) var<storage, read> cells: array<f32>;      // final_hc: c at every step [D, T, B, H]
@group(0) @binding(7) var<storage, read_write> hn: array<f32>;   // final: [S, B, P], rows [at, at + D) written
@group(0) @binding(8) var<storage, read_write> cn: array<f32>;   // final_hc: [S, B, H], rows [at, at + D)

override HAS_LENGTHS: bool = false;

// WG and flat_index come from common.wgsl (appended).

// The time index of direction d's last processed step in row b.
fn last_step(d: u32, b: u32) -> u32 {
  if (d == 1u || fp.reverse == 1u) { return 0u; }
  if (HAS_LENGTHS) { return u32(lengths[b]) - 1u; }
  return fp.T - 1u;
}

@compute @workgroup_size(WG)
fn final_h(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = flat_index(gid, groups);  // (d * B + b) * P + k
  if (idx >= fp.D * fp.B * fp.P) { return; }
  let k = idx % fp.P;
  let b = (idx / fp.P) % fp.B;
  let d = idx / (fp.B * fp.P);
  hn[fp.at * fp.B * fp.P + idx] = out[(last_step(d, b) * fp.B + b) * fp.D * fp.P + d * fp.P + k];
}

@compute @workgroup_size(WG)
fn final_hc(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = flat_index(gid, groups);  // (d * B + b) * H + k
  if (idx >= fp.D * fp.B * fp.H) { return; }
  let k = idx % fp.H;
  let b = (idx / fp.H) % fp.B;
  let d = idx / (fp.B * fp.H);
  let t = last_step(d, b);
  cn[fp.at * fp.B * fp.H + idx] = cells[((d * fp.T + t) * fp.B + b) * fp.H + k];
  if (k < fp.P) { hn[((fp.at + d) * fp.B + b) * fp.P + k] = out[(t * fp.B + b) * fp.D * fp.P + d * fp.P + k]; }
}

@compute @workgroup_size(WG)
fn first_step_scatter(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = flat_index(gid, groups);  // b * W + k
  if (idx >= p.B * p.W) { return; }
  let b = idx / p.W;
  for (var t = u32(lengths[b]) - 1u; t < p.T; t++) {
    dst[(t * p.B + b) * p.W + idx % p.W] = src[p.src_at + idx];
  }
}
