// Reductions. A tensor viewed as [outer, R, inner] is summed over its middle axis; sum_squares gives the
// squared L2 norm of one buffer into one slot of `partials`, so the global norm of many gradient buffers
// (for clipping) is a few dispatches and a final global_norm, all without a CPU read-back.

struct AxisParams {
  outer: u32,
  R: u32,  // length of the reduced axis
  inner: u32,
}

struct SquaresParams {
  n: u32,     // elements of inp
  slot: u32,  // which partial to write
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

// partials[slot] = Σ inp[k]² over n elements; one workgroup.
@compute @workgroup_size(WG)
fn sum_squares(@builtin(local_invocation_index) li: u32) {
  var acc = 0.0;
  for (var k = li; k < sq.n; k += WG) {
    let v = inp[k];
    acc = fma(v, v, acc);
  }
  let total = workgroup_sum(li, acc);
  if (li == 0u) { partials[sq.slot] = total; }
}

// out[0] = sqrt(Σ partials[0..count]); one workgroup.
@compute @workgroup_size(WG)
fn global_norm(@builtin(local_invocation_index) li: u32) {
  var acc = 0.0;
  for (var k = li; k < np.count; k += WG) { acc += partials[k]; }
  let total = workgroup_sum(li, acc);
  if (li == 0u) { out[0] = sqrt(total); }
}
