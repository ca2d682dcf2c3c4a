// Reductions. A tensor viewed as [outer, R, inner] is summed over its middle axis; sum_squares gives the
// squared L2 norms of up to SQUARES_PER_DISPATCH buffers, one workgroup each, into slots of `partials`, so the
// global norm of many gradient buffers (for clipping) is a few dispatches and a final global_norm, all without a
// CPU read-back.

struct AxisParams {
  outer: u32,
  R: u32,  // length of the reduced axis
  inner: u32,
}

// Buffers one sum_squares dispatch takes: with `partials`, the 8 storage buffers every adapter allows a stage.
const SQUARES_PER_DISPATCH: u32 = 7u;

struct SquaresParams {
  n0: u32,  // elements of inp (n1..n6: of inp1..inp6; 0 for a slot left unused, bound to a dummy buffer)
  n1: u32,
  n2: u32,
  n3: u32,
  n4: u32,
  n5: u32,
  n6: u32,
  slot: u32,  // the partial workgroup 0 writes; workgroup k writes slot + k
}

struct NormParams {
  count: u32,  // how many partials
}

@group(0) @binding(0) var<uniform> p: AxisParams;
@group(0) @binding(6) var<uniform> sq: SquaresParams;
@group(0) @binding(7) var<uniform> np: NormParams;
@group(0) @binding(1) var<storage, read> inp: array<f32>;              // [outer, R, inner]
@group(0) @binding(2) var<storage, read_write> out: array<f32>;        // [outer, inner]
@group(0) @binding(3) var<storage, read_write> dinp: array<f32>;       // [outer, R, inner]
@group(0) @binding(4) var<storage, read> dout: array<f32>;             // [outer, inner]
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;   // [slots]
@group(0) @binding(8) var<storage, read> inp1: array<f32>;             // [n1] sum_squares' second buffer
@group(0) @binding(9) var<storage, read> inp2: array<f32>;             // [n2]
@group(0) @binding(10) var<storage, read> inp3: array<f32>;            // [n3]
@group(0) @binding(11) var<storage, read> inp4: array<f32>;            // [n4]
@group(0) @binding(12) var<storage, read> inp5: array<f32>;            // [n5]
@group(0) @binding(13) var<storage, read> inp6: array<f32>;            // [n6]

override ACCUMULATE: bool = false;  // out += Σ (used for bias gradients)

// WG, flat_index and workgroup_sum come from common.wgsl (appended).

// out[o, i] (+)= Σ_r inp[o, r, i]; one thread per output element.
@compute @workgroup_size(WG)
fn sum_axis_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = flat_index(gid, groups);
  if (idx >= p.outer * p.inner) { return; }
  let o = idx / p.inner;
  let i = idx % p.inner;
  var acc = 0.0;
  for (var r = 0u; r < p.R; r++) {
    acc += inp[(o * p.R + r) * p.inner + i];
  }
  if (ACCUMULATE) { acc += out[idx]; }
  out[idx] = acc;
}

// dinp[o, r, i] += dout[o, i]
@compute @workgroup_size(WG)
fn sum_axis_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = flat_index(gid, groups);
  if (idx >= p.outer * p.R * p.inner) { return; }
  let i = idx % p.inner;
  let o = idx / (p.R * p.inner);
  dinp[idx] += dout[o * p.inner + i];
}

// partials[slot + k] = Σ x² over workgroup k's buffer (inp, inp1, ..., inp6), each summed alike: a thread's
// strided fma chain, then the workgroup's reduction. (A storage buffer cannot be a function argument, hence
// one loop per binding.)
@compute @workgroup_size(WG)
fn sum_squares(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  var acc = 0.0;
  switch wid.x {
    case 0u: { for (var k = li; k < sq.n0; k += WG) { let v = inp[k]; acc = fma(v, v, acc); } }
    case 1u: { for (var k = li; k < sq.n1; k += WG) { let v = inp1[k]; acc = fma(v, v, acc); } }
    case 2u: { for (var k = li; k < sq.n2; k += WG) { let v = inp2[k]; acc = fma(v, v, acc); } }
    case 3u: { for (var k = li; k < sq.n3; k += WG) { let v = inp3[k]; acc = fma(v, v, acc); } }
    case 4u: { for (var k = li; k < sq.n4; k += WG) { let v = inp4[k]; acc = fma(v, v, acc); } }
    case 5u: { for (var k = li; k < sq.n5; k += WG) { let v = inp5[k]; acc = fma(v, v, acc); } }
    case 6u: { for (var k = li; k < sq.n6; k += WG) { let v = inp6[k]; acc = fma(v, v, acc); } }
    default: {}
  }
  let total = workgroup_sum(li, acc);
  if (li == 0u) { partials[sq.slot + wid.x] = total; }
}

// out[0] = sqrt(Σ partials[0..count]); one workgroup.
@compute @workgroup_size(WG)
fn global_norm(@builtin(local_invocation_index) li: u32) {
  var acc = 0.0;
  for (var k = li; k < np.count; k += WG) { acc += partials[k]; }
  let total = workgroup_sum(li, acc);
  if (li == 0u) { out[0] = sqrt(total); }
}
