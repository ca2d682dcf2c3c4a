// Softmax and log-softmax over the last axis, viewed as [R, C] rows, max-subtracted. LOG picks log-softmax.
// Backward needs only the output y and dy, reduced over the row:
//   softmax:      dx = y · (dy - Σ_c dy·y)
//   log-softmax:  dx = dy - exp(y) · Σ_c dy
// Each pass has a workgroup-per-row entry (GPUs) and a thread-per-row one (CPU-emulated adapters, where
// barriers are slow).

struct Params {
  R: u32,  // rows
  C: u32,  // length of the last axis
}

override LOG: bool = false;         // log-softmax (else softmax)
override ACCUMULATE: bool = false;  // backward adds into dx (else: overwrites it)

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;          // [R, C]
@group(0) @binding(2) var<storage, read_write> y: array<f32>;    // [R, C] output, saved for backward
@group(0) @binding(3) var<storage, read> y_saved: array<f32>;    // [R, C]
@group(0) @binding(4) var<storage, read> dy: array<f32>;         // [R, C]
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;   // [R, C]

const ROWWISE_WG: u32 = 64u;  // the _rowwise entry points: rows per workgroup
// WG, workgroup_max and workgroup_sum come from common.wgsl (appended).

fn row_index(wg: vec3u, groups: vec3u) -> u32 {
  return wg.x + wg.y * groups.x;
}

// y from x given the row's max m and Σ exp(x - m).
fn write_output(i: u32, m: f32, sum_exp: f32) {
  if (LOG) { y[i] = x[i] - m - log(sum_exp); } else { y[i] = exp(x[i] - m) / sum_exp; }
}

// dx from the row's Σ dy·y (softmax) or Σ dy (log-softmax).
fn write_grad(i: u32, row_sum: f32) {
  var g: f32;
  if (LOG) { g = dy[i] - exp(y_saved[i]) * row_sum; } else { g = y_saved[i] * (dy[i] - row_sum); }
  if (ACCUMULATE) { dx[i] += g; } else { dx[i] = g; }
}

fn grad_term(i: u32) -> f32 {
  if (LOG) { return dy[i]; }
  return dy[i] * y_saved[i];
}

@compute @workgroup_size(WG)
fn softmax_forward(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
                   @builtin(local_invocation_index) li: u32) {
  let r = row_index(wg, groups);
  if (r >= p.R) { return; }  // uniform per workgroup
  let base = r * p.C;
  var m = -3.4e38;
  for (var c = li; c < p.C; c += WG) { m = max(m, x[base + c]); }
  m = workgroup_max(li, m);
  var s = 0.0;
  for (var c = li; c < p.C; c += WG) { s += exp(x[base + c] - m); }
  s = workgroup_sum(li, s);
  for (var c = li; c < p.C; c += WG) { write_output(base + c, m, s); }
}

@compute @workgroup_size(ROWWISE_WG)
fn softmax_forward_rowwise(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let r = gid.x + gid.y * groups.x * ROWWISE_WG;
  if (r >= p.R) { return; }
  let base = r * p.C;
  var m = -3.4e38;
  for (var c = 0u; c < p.C; c++) { m = max(m, x[base + c]); }
  var s = 0.0;
  for (var c = 0u; c < p.C; c++) { s += exp(x[base + c] - m); }
  for (var c = 0u; c < p.C; c++) { write_output(base + c, m, s); }
}

@compute @workgroup_size(WG)
fn softmax_backward(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
                    @builtin(local_invocation_index) li: u32) {
  let r = row_index(wg, groups);
  if (r >= p.R) { return; }
  let base = r * p.C;
  var s = 0.0;
  for (var c = li; c < p.C; c += WG) { s += grad_term(base + c); }
  s = workgroup_sum(li, s);
  for (var c = li; c < p.C; c += WG) { write_grad(base + c, s); }
}

@compute @workgroup_size(ROWWISE_WG)
fn softmax_backward_rowwise(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let r = gid.x + gid.y * groups.x * ROWWISE_WG;
  if (r >= p.R) { return; }
  let base = r * p.C;
  var s = 0.0;
  for (var c = 0u; c < p.C; c++) { s += grad_term(base + c); }
  for (var c = 0u; c < p.C; c++) { write_grad(base + c, s); }
}
