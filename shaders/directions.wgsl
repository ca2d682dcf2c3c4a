// Both directions of a bidirectional layer's recurrent parameters in one buffer, made once per forward
// (ops/recurrence.ts): [W_hh (direction 0, 1) | b_ih (0, 1) | b_hh (0, 1)], so a cell kernel that runs both
// directions in one dispatch binds them as one W_hh [2, G·H, P] and two bias views [2, G·H] (WebGPU's default of
// 8 storage buffers per stage leaves no room for one binding per direction). One thread per packed word.

struct PackParams {
  n_w: u32,  // words of one direction's W_hh (G·H·P)
  n_b: u32,  // words of one direction's bias (G·H), 0 without biases
}

@group(0) @binding(0) var<uniform> pp: PackParams;
@group(0) @binding(1) var<storage, read> w0: array<f32>;        // [G·H, P] direction 0's W_hh
@group(0) @binding(2) var<storage, read> w1: array<f32>;        // [G·H, P] direction 1's
@group(0) @binding(3) var<storage, read> bi0: array<f32>;       // [G·H] b_ih of direction 0
@group(0) @binding(4) var<storage, read> bi1: array<f32>;       // [G·H]
@group(0) @binding(5) var<storage, read> bh0: array<f32>;       // [G·H] b_hh of direction 0
@group(0) @binding(6) var<storage, read> bh1: array<f32>;       // [G·H]
@group(0) @binding(7) var<storage, read_write> packed: array<f32>;  // [2·G·H·P + 4·G·H]

// WG and flat_index come from common.wgsl (appended).

@compute @workgroup_size(WG)
fn pack_directions(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  let w = 2u * pp.n_w;
  if (i >= w + 4u * pp.n_b) { return; }
  if (i < pp.n_w) { packed[i] = w0[i]; return; }
  if (i < w) { packed[i] = w1[i - pp.n_w]; return; }
  let k = (i - w) % pp.n_b;
  switch ((i - w) / pp.n_b) {
    case 0u: { packed[i] = bi0[k]; }
    case 1u: { packed[i] = bi1[k]; }
    case 2u: { packed[i] = bh0[k]; }
    default: { packed[i] = bh1[k]; }
  }
}
