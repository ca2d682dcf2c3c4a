// Reductions. A tensor viewed as [outer, R, inner] is summed over its middle axis; sum_squares gives the
// squared L2 norm of one buffer into one slot of `partials`, so the global norm of many gradient buffers
// (for clipping) is a few dispatches and a final global_norm, all without a CPU read-back.

struct Params {
  outer: u32,
  R: u32,      // length of the reduced axis (or element count, for sum_squares)
  inner: u32,
  slot: u32,   // sum_squares: which partial to write; global_norm: how many partials
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> inp: array<f32>;              // [outer, R, inner]
@group(0) @binding(2) var<storage, read_write> out: array<f32>;        // [outer, inner]
@group(0) @binding(3) var<storage, read_write> dinp: array<f32>;       // [outer, R, inner]
@group(0) @binding(4) var<storage, read> dout: array<f32>;             // [outer, inner]
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;   // [slots]

override ACCUMULATE: bool = false;  // out += Σ (used for bias gradients)

const WG: u32 = 256u;

// out[o, i] (+)= Σ_r inp[o, r, i]; one thread per output element.
@compute @workgroup_size(WG)
fn sum_axis_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = gid.x + gid.y * groups.x * WG;
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
  let idx = gid.x + gid.y * groups.x * WG;
  if (idx >= p.outer * p.R * p.inner) { return; }
  let i = idx % p.inner;
  let o = idx / (p.R * p.inner);
  dinp[idx] += dout[o * p.inner + i];
}

var<workgroup> scratch: array<f32, WG>;

fn workgroup_sum(li: u32, v: f32) -> f32 {
  scratch[li] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (li < s) { scratch[li] += scratch[li + s]; }
    workgroupBarrier();
  }
  return scratch[0];
}

// partials[slot] = Σ inp[k]² over R elements; one workgroup.
@compute @workgroup_size(WG)
fn sum_squares(@builtin(local_invocation_index) li: u32) {
  var acc = 0.0;
  for (var k = li; k < p.R; k += WG) {
    let v = inp[k];
    acc = fma(v, v, acc);
  }
  let total = workgroup_sum(li, acc);
  if (li == 0u) { partials[p.slot] = total; }
}

// out[0] = sqrt(Σ partials[0..slot]); one workgroup.
@compute @workgroup_size(WG)
fn global_norm(@builtin(local_invocation_index) li: u32) {
  var acc = 0.0;
  for (var k = li; k < p.slot; k += WG) { acc += partials[k]; }
  let total = workgroup_sum(li, acc);
  if (li == 0u) { out[0] = sqrt(total); }
}
