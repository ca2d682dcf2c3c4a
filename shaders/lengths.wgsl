// Per-row state copies for variable-length batches (API.md 10), shared by every recurrent cell. Row b runs the
// steps t < len[b]: the forward direction ends at step len[b] − 1 and the reverse direction starts there.
//   last_step_gather:   state[b, k] = steps[len[b] − 1, b, k]            (hN, cN of the forward direction)
//   first_step_scatter: steps[t, b, k] = state[b, k] for t in [len[b] − 1, T)
//                       (h0 into the reverse direction's previous states: until its first step a row is at h0)

struct RowStepParams {
  T: u32,
  B: u32,
  W: u32,  // features per row
}

@group(0) @binding(0) var<uniform> p: RowStepParams;
@group(0) @binding(1) var<storage, read> lengths: array<i32>;    // [B] steps per row, each 1..T
@group(0) @binding(2) var<storage, read> src: array<f32>;        // gather: steps [T, B, W]; scatter: state [B, W]
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;  // gather: state [B, W]; scatter: steps [T, B, W]

// WG and flat_index come from common.wgsl (appended).

fn step_index(t: u32, b: u32, k: u32) -> u32 {
  return (t * p.B + b) * p.W + k;
}

@compute @workgroup_size(WG)
fn last_step_gather(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = flat_index(gid, groups);  // b * W + k
  if (idx >= p.B * p.W) { return; }
  let b = idx / p.W;
  dst[idx] = src[step_index(u32(lengths[b]) - 1u, b, idx % p.W)];
}

@compute @workgroup_size(WG)
fn first_step_scatter(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = flat_index(gid, groups);  // b * W + k
  if (idx >= p.B * p.W) { return; }
  let b = idx / p.W;
  for (var t = u32(lengths[b]) - 1u; t < p.T; t++) {
    dst[step_index(t, b, idx % p.W)] = src[idx];
  }
}
