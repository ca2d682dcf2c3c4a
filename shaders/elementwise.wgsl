// Elementwise ops and their gradients over flat float arrays of n elements.
// Forward entries write `out`; backward entries accumulate (+=) into `out`, which is then a gradient.

// fill, accumulate, scale_forward
struct ScaledParams {
  n: u32,      // number of elements
  alpha: f32,  // fill value / scale
}

// the others
struct SizeParams {
  n: u32,  // number of elements
}

@group(0) @binding(0) var<uniform> scaled: ScaledParams;
@group(0) @binding(4) var<uniform> sized: SizeParams;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;  // [n]
@group(0) @binding(2) var<storage, read> a: array<f32>;          // [n]
@group(0) @binding(3) var<storage, read> b: array<f32>;          // [n]

// 0 = tanh, 1 = sigmoid, 2 = relu
override OP: u32 = 0u;

// WG and flat_index come from common.wgsl, safe_tanh, safe_sigmoid and safe_relu from activation.wgsl (both appended).

fn activate(x: f32) -> f32 {
  switch OP {
    case 0u: { return safe_tanh(x); }
    case 1u: { return safe_sigmoid(x); }
    default: { return safe_relu(x); }
  }
}

// Derivative written in terms of the forward output y, which is what forward saves.
fn activate_grad_from_output(y: f32) -> f32 {
  switch OP {
    case 0u: { return 1.0 - y * y; }
    case 1u: { return y * (1.0 - y); }
    default: { return select(0.0, 1.0, y > 0.0); }
  }
}

// out[i] = alpha
@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i < scaled.n) { out[i] = scaled.alpha; }
}

// out[i] += alpha * a[i]   (gradient accumulation; add_backward is two of these)
@compute @workgroup_size(WG)
fn accumulate(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i < scaled.n) { out[i] += scaled.alpha * a[i]; }
}

// out[i] = alpha * a[i]
@compute @workgroup_size(WG)
fn scale_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i < scaled.n) { out[i] = scaled.alpha * a[i]; }
}

// out = a + b
@compute @workgroup_size(WG)
fn add_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i < sized.n) { out[i] = a[i] + b[i]; }
}

// out = a * b
@compute @workgroup_size(WG)
fn mul_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i < sized.n) { out[i] = a[i] * b[i]; }
}

// d_lhs += dout * rhs   (called once per operand: a = dout, b = the other operand)
@compute @workgroup_size(WG)
fn mul_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i < sized.n) { out[i] += a[i] * b[i]; }
}

// out = f(a)
@compute @workgroup_size(WG)
fn activation_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i < sized.n) { out[i] = activate(a[i]); }
}

// dinp += dout * f'(x), with a = dout and b = the saved output y = f(x)
@compute @workgroup_size(WG)
fn activation_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i < sized.n) { out[i] += a[i] * activate_grad_from_output(b[i]); }
}
