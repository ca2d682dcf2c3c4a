// Dropout with a counter-based mask: nothing is stored between forward and backward, both rebuild the mask
// from (seed, offset, element index) with Philox4x32-10 (src/ops/philox.ts is the CPU twin).
//   forward:  out[i] = x[i] · f[i]            f[i] = scale if bits[i] >= threshold else 0
//   backward: dx[i] (+)= dout[i] · f[i]
// bits[i] = word i % 4 of philox4x32_10(counter = (i / 4, 0, offset_lo, offset_hi), key = (seed_lo, seed_hi)).
// The generator's draw (seed, offset) is read from a small buffer, not the uniform: it changes at every call, and
// a captured step's replays rewrite the buffer (ctx.eachStep) where a uniform would be a constant of the step.
// A dropped element is x · 0, as PyTorch's x * noise (so NaN stays NaN); p = 1 comes as scale 0.
// WG and flat_index come from common.wgsl.

struct Params {
  n: u32,          // elements
  threshold: u32,  // floor(p · 2^32): an element is dropped when its bits are below it
  scale: f32,      // 1 / (1 - p), or 0 for p = 1
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;            // [n] (forward)
@group(0) @binding(2) var<storage, read_write> out: array<f32>;    // [n] (forward)
@group(0) @binding(3) var<storage, read> dout: array<f32>;         // [n] (backward)
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;     // [n] (backward)
@group(0) @binding(5) var<storage, read> draw: array<u32, 4>;      // [seed_lo, seed_hi, offset_lo, offset_hi]

override ACCUMULATE: bool = false;  // backward adds into dx (else writes every element)

// The high and low 32 bits of a·b, from 16-bit halves (WGSL has no 64-bit integers).
fn mulhilo(a: u32, b: u32) -> vec2u {
  let a0 = a & 0xffffu; let a1 = a >> 16u;
  let b0 = b & 0xffffu; let b1 = b >> 16u;
  let p01 = a0 * b1; let p10 = a1 * b0;
  let mid = ((a0 * b0) >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return vec2u(a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u), a * b);
}

fn philox4x32_10(counter: vec4u, key: vec2u) -> vec4u {
  var c = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    if (round > 0u) { k += vec2u(0x9e3779b9u, 0xbb67ae85u); }
    let m0 = mulhilo(0xd2511f53u, c.x);
    let m1 = mulhilo(0xcd9e8d57u, c.z);
    c = vec4u(m1.x ^ c.y ^ k.x, m1.y, m0.x ^ c.w ^ k.y, m0.y);
  }
  return c;
}

// The factors of the 4 elements of block b (elements 4b .. 4b + 3).
fn factors(b: u32) -> vec4f {
  let bits = philox4x32_10(vec4u(b, 0u, draw[2], draw[3]), vec2u(draw[0], draw[1]));
  return select(vec4f(0.0), vec4f(p.scale), bits >= vec4u(p.threshold));
}

// One thread per block of 4 elements (one Philox call gives 4 words).
@compute @workgroup_size(WG)
fn dropout_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let b = flat_index(gid, groups);
  if (b * 4u >= p.n) { return; }
  let f = factors(b);
  for (var j = 0u; j < 4u; j++) {
    let i = b * 4u + j;
    if (i < p.n) { out[i] = x[i] * f[j]; }
  }
}

@compute @workgroup_size(WG)
fn dropout_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let b = flat_index(gid, groups);
  if (b * 4u >= p.n) { return; }
  let f = factors(b);
  for (var j = 0u; j < 4u; j++) {
    let i = b * 4u + j;
    if (i < p.n) {
      var g = dout[i] * f[j];
      if (ACCUMULATE) { g += dx[i]; }
      dx[i] = g;
    }
  }
}
