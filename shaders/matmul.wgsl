// Tiled matrix multiply: out[M, N] (+)= op(A) · op(B) (+ bias[N]), op = identity or transpose.
// matmul_forward: one 64×64 output tile per 16×16 workgroup, each thread a 4×4 register block, K walked in
// slices of 16 staged through workgroup memory. matmul_simple: one thread per output element and no
// workgroup memory, for CPU-emulated adapters (SwiftShader), where barriers cost far more than they save. Backward is the same kernel with the transpose flags of the chain rule:
//   dA += dOut · Bᵀ,  dB += Aᵀ · dOut,  dBias += Σ_rows dOut (reduce.wgsl).

struct Params {
  M: u32,
  N: u32,
  K: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;           // [M, K], or [K, M] if TRANS_A
@group(0) @binding(2) var<storage, read> B: array<f32>;           // [K, N], or [N, K] if TRANS_B
@group(0) @binding(3) var<storage, read> bias: array<f32>;        // [N] (bound but unread unless HAS_BIAS)
@group(0) @binding(4) var<storage, read_write> out: array<f32>;   // [M, N]

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override ACCUMULATE: bool = false;  // out += A·B (gradients accumulate)

const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 16u;

var<workgroup> tileA: array<f32, 1024>;  // [BK, BM]
var<workgroup> tileB: array<f32, 1024>;  // [BK, BN]

fn loadA(m: u32, k: u32) -> f32 {
  if (m >= p.M || k >= p.K) { return 0.0; }
  if (TRANS_A) { return A[k * p.M + m]; }
  return A[m * p.K + k];
}

fn loadB(k: u32, n: u32) -> f32 {
  if (k >= p.K || n >= p.N) { return 0.0; }
  if (TRANS_B) { return B[n * p.K + k]; }
  return B[k * p.N + n];
}

@compute @workgroup_size(16, 16)
fn matmul_forward(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
                  @builtin(local_invocation_index) li: u32) {
  let row0 = wg.y * BM;
  let col0 = wg.x * BN;
  var acc: array<f32, 16>;
  var a: array<f32, 4>;
  var b: array<f32, 4>;
  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    // Each of the 256 threads stages 4 elements of each tile; the index order follows memory order.
    for (var r = 0u; r < 4u; r++) {
      let e = li + r * 256u;
      var kk: u32; var mm: u32;
      if (TRANS_A) { kk = e / BM; mm = e % BM; } else { kk = e % BK; mm = e / BK; }
      tileA[kk * BM + mm] = loadA(row0 + mm, k0 + kk);
      var kb: u32; var nn: u32;
      if (TRANS_B) { kb = e % BK; nn = e / BK; } else { kb = e / BN; nn = e % BN; }
      tileB[kb * BN + nn] = loadB(k0 + kb, col0 + nn);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      for (var i = 0u; i < 4u; i++) {
        a[i] = tileA[kk * BM + lid.y + i * 16u];
        b[i] = tileB[kk * BN + lid.x + i * 16u];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
          acc[i * 4u + j] = fma(a[i], b[j], acc[i * 4u + j]);
        }
      }
    }
    workgroupBarrier();
  }
  // Rows lid.y + 16i and columns lid.x + 16j: neighbouring threads write neighbouring columns.
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + lid.y + i * 16u;
    if (row >= p.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + lid.x + j * 16u;
      if (col >= p.N) { continue; }
      var v = acc[i * 4u + j];
      if (HAS_BIAS) { v += bias[col]; }
      let o = row * p.N + col;
      if (ACCUMULATE) { v += out[o]; }
      out[o] = v;
    }
  }
}

@compute @workgroup_size(64)
fn matmul_simple(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  let row = gid.y;
  if (row >= p.M || col >= p.N) { return; }
  var acc = 0.0;
  for (var k = 0u; k < p.K; k++) { acc = fma(loadA(row, k), loadB(k, col), acc); }
  if (HAS_BIAS) { acc += bias[col]; }
  let o = row * p.N + col;
  if (ACCUMULATE) { acc += out[o]; }
  out[o] = acc;
}
