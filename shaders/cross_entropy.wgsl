// Fused softmax + cross-entropy, mean over rows (PyTorch's F.cross_entropy with reduction='mean').
// Forward saves the per-row log-sum-exp, which is all backward needs besides the logits and targets:
//   dlogits[n, c] (+)= (exp(logits[n, c] - lse[n]) - [c == target[n]]) * dloss / N

struct Params {
  N: u32,  // rows
  C: u32,  // classes
}

override ACCUMULATE: bool = false;  // backward adds into dlogits (else: overwrites it, no zero fill needed)

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;          // [N, C]
@group(0) @binding(2) var<storage, read> targets: array<i32>;         // [N]
@group(0) @binding(3) var<storage, read_write> row_loss: array<f32>;  // [N]
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;       // [N] saved for backward
@group(0) @binding(5) var<storage, read_write> loss: array<f32>;      // [1]
@group(0) @binding(6) var<storage, read_write> dlogits: array<f32>;   // [N, C]
@group(0) @binding(7) var<storage, read> dloss: array<f32>;           // [1]
@group(0) @binding(8) var<storage, read> row_loss_in: array<f32>;     // [N]

// A quiet NaN, made at run time (WGSL rejects NaN in constant expressions).
var<private> NAN_BITS: u32 = 0x7fc00000u;
const ROWWISE_WG: u32 = 64u;  // cross_entropy_forward_rowwise: rows per workgroup
// WG, flat_index, workgroup_max and workgroup_sum come from common.wgsl (appended).

// Saves row n's log-sum-exp l and writes its loss l - logits[n, target]; NaN for a target outside [0, C).
fn write_row(n: u32, l: f32) {
  lse[n] = l;
  let t = targets[n];
  if (t < 0 || u32(t) >= p.C) {
    row_loss[n] = bitcast<f32>(NAN_BITS);
  } else {
    row_loss[n] = l - logits[n * p.C + u32(t)];
  }
}

// One workgroup per row: row_loss[n] = lse[n] - logits[n, target]; NaN for a target outside [0, C).
@compute @workgroup_size(WG)
fn cross_entropy_forward(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
                         @builtin(local_invocation_index) li: u32) {
  let n = wg.x + wg.y * groups.x;
  if (n >= p.N) { return; }  // uniform per workgroup, so the barriers below stay uniform
  let base = n * p.C;
  var m = -3.4e38;
  for (var c = li; c < p.C; c += WG) { m = max(m, logits[base + c]); }
  m = workgroup_max(li, m);
  var s = 0.0;
  for (var c = li; c < p.C; c += WG) { s += exp(logits[base + c] - m); }
  s = workgroup_sum(li, s);
  if (li == 0u) { write_row(n, m + log(s)); }
}

// The same with one thread per row and no barriers, for CPU-emulated adapters (SwiftShader), where a
// 256-thread workgroup per row spends its time switching between threads at every barrier.
@compute @workgroup_size(ROWWISE_WG)
fn cross_entropy_forward_rowwise(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let n = gid.x + gid.y * groups.x * ROWWISE_WG;
  if (n >= p.N) { return; }
  let base = n * p.C;
  var m = -3.4e38;
  for (var c = 0u; c < p.C; c++) { m = max(m, logits[base + c]); }
  var s = 0.0;
  for (var c = 0u; c < p.C; c++) { s += exp(logits[base + c] - m); }
  write_row(n, m + log(s));
}

// loss[0] = mean of row_loss; one workgroup.
@compute @workgroup_size(WG)
fn cross_entropy_mean(@builtin(local_invocation_index) li: u32) {
  var acc = 0.0;
  for (var k = li; k < p.N; k += WG) { acc += row_loss_in[k]; }
  let total = workgroup_sum(li, acc);
  if (li == 0u) { loss[0] = total / f32(p.N); }
}

@compute @workgroup_size(WG)
fn cross_entropy_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = flat_index(gid, groups);
  if (idx >= p.N * p.C) { return; }
  let n = idx / p.C;
  let c = idx % p.C;
  let prob = exp(logits[idx] - lse[n]);
  let hit = select(0.0, 1.0, i32(c) == targets[n]);
  let g = (prob - hit) * dloss[0] / f32(p.N);
  if (ACCUMULATE) { dlogits[idx] += g; } else { dlogits[idx] = g; }
}
