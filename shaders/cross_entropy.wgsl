// Fused softmax + cross-entropy (PyTorch's F.cross_entropy with reduction, ignore_index, label_smoothing).
// With ε = label_smoothing, row n's loss against target t is (1 - ε)·(lse - x_t) + (ε / C)·Σ_c (lse - x_c);
// a row whose target is ignore_index has loss 0 and gradient 0, and 'mean' divides by the rows not ignored.
// Forward saves the per-row log-sum-exp, which is all backward needs besides the logits and targets:
//   dlogits[n, c] (+)= (exp(x[n, c] - lse[n]) - (1 - ε)·[c == t] - ε / C) · scale
// with scale = dloss[0] / count[0] (mean, sum) or dloss[n] (none).

struct Params {
  N: u32,                // rows
  C: u32,                // classes
  ignore_index: i32,     // a target with this value counts nothing and gets no gradient
  label_smoothing: f32,  // ε in [0, 1]
}

override ACCUMULATE: bool = false;  // backward adds into dlogits (else: overwrites it, no zero fill needed)
override MEAN: bool = true;         // cross_entropy_reduce: divide by the rows not ignored (else: sum)

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;          // [N, C]
@group(0) @binding(2) var<storage, read> targets: array<i32>;         // [N]
@group(0) @binding(3) var<storage, read_write> row_loss: array<f32>;  // [N] (the output for reduction 'none')
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;       // [N] saved for backward
@group(0) @binding(5) var<storage, read_write> loss: array<f32>;      // [1]
@group(0) @binding(6) var<storage, read_write> dlogits: array<f32>;   // [N, C]
@group(0) @binding(7) var<storage, read> dloss: array<f32>;           // [1] (mean, sum) or [N] (none)
@group(0) @binding(8) var<storage, read> row_loss_in: array<f32>;     // [N]
@group(0) @binding(9) var<storage, read_write> count: array<f32>;     // [1] the divisor of the reduction, saved for backward

// A quiet NaN, made at run time (WGSL rejects NaN in constant expressions).
var<private> NAN_BITS: u32 = 0x7fc00000u;
const ROWWISE_WG: u32 = 64u;  // cross_entropy_forward_rowwise: rows per workgroup
// WG, flat_index, workgroup_max and workgroup_sum come from common.wgsl (appended).

// Saves row n's log-sum-exp l = m + log(sum_exp) and writes its loss. `spread` = Σ_c (m - x_c) >= 0, so the
// smoothing term Σ_c (l - x_c) = C·(l - m) + spread adds positive numbers only (no cancellation for large logits).
// An ignored row's loss is 0; a target outside [0, C) that is not ignore_index gives NaN.
fn write_row(n: u32, m: f32, sum_exp: f32, spread: f32) {
  let l = m + log(sum_exp);
  lse[n] = l;
  let t = targets[n];
  if (t == p.ignore_index) {
    row_loss[n] = 0.0;
  } else if (t < 0 || u32(t) >= p.C) {
    row_loss[n] = bitcast<f32>(NAN_BITS);
  } else {
    let nll = l - logits[n * p.C + u32(t)];
    let eps = p.label_smoothing;
    if (eps == 0.0) {
      row_loss[n] = nll;
    } else {
      let smoothing_term = f32(p.C) * (l - m) + spread;
      row_loss[n] = (1.0 - eps) * nll + (eps / f32(p.C)) * smoothing_term;
    }
  }
}

// One workgroup per row.
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
  var spread = 0.0;
  for (var c = li; c < p.C; c += WG) {
    let x = logits[base + c];
    s += exp(x - m);
    spread += m - x;
  }
  s = workgroup_sum(li, s);
  if (p.label_smoothing != 0.0) { spread = workgroup_sum(li, spread); }  // p is uniform: so is this branch
  if (li == 0u) { write_row(n, m, s, spread); }
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
  var spread = 0.0;
  for (var c = 0u; c < p.C; c++) {
    let x = logits[base + c];
    s += exp(x - m);
    spread += m - x;
  }
  write_row(n, m, s, spread);
}

// loss[0] = Σ row_loss / count, count = the rows not ignored (MEAN) or 1 (sum); one workgroup.
// All rows ignored under MEAN gives 0 / 0 = NaN, as PyTorch.
@compute @workgroup_size(WG)
fn cross_entropy_reduce(@builtin(local_invocation_index) li: u32) {
  var acc = 0.0;
  var kept = 0.0;
  for (var k = li; k < p.N; k += WG) {
    acc += row_loss_in[k];
    if (targets[k] != p.ignore_index) { kept += 1.0; }
  }
  let total = workgroup_sum(li, acc);
  var divisor = 1.0;
  if (MEAN) { divisor = workgroup_sum(li, kept); }
  if (li == 0u) {
    loss[0] = total / divisor;
    count[0] = divisor;
  }
}

fn write_grad(idx: u32, n: u32, scale: f32) {
  let c = idx % p.C;
  let t = targets[n];
  var g = 0.0;
  if (t != p.ignore_index) {
    let eps = p.label_smoothing;
    let prob = exp(logits[idx] - lse[n]);
    let hit = select(0.0, 1.0 - eps, i32(c) == t);
    g = (prob - hit - eps / f32(p.C)) * scale;
  }
  if (ACCUMULATE) { dlogits[idx] += g; } else { dlogits[idx] = g; }
}

// Backward of reduction 'mean' or 'sum': scale = dloss[0] / count[0].
@compute @workgroup_size(WG)
fn cross_entropy_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = flat_index(gid, groups);
  if (idx >= p.N * p.C) { return; }
  write_grad(idx, idx / p.C, dloss[0] / count[0]);
}

// Backward of reduction 'none': row n's scale is dloss[n].
@compute @workgroup_size(WG)
fn cross_entropy_backward_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = flat_index(gid, groups);
  if (idx >= p.N * p.C) { return; }
  let n = idx / p.C;
  write_grad(idx, n, dloss[n]);
}
