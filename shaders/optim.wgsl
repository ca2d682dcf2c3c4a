// Optimizer updates and gradient clipping, one thread per element, all in place on the GPU.
// Every update follows PyTorch's single-tensor (CPU) implementation operation by operation, so float32 results
// stay within an ulp or two of torch.optim:
//   SGD:  g' = g + wd·p;  buf = g' (first step) | buf·momentum + (1 - dampening)·g';
//         d = g' (no momentum) | buf | g' + momentum·buf (nesterov);  p += (-lr)·d
//   Adam: g' = g + wd·p;  m = lerp(m, g', 1 - β1);  v = v·β2 + (1 - β2)·g'·g';
//         p += (-lr / bc1)·m / (sqrt(v) / sqrt(bc2) + eps),  bc1 = 1 - β1^t, bc2 = 1 - β2^t
//   AdamW: p = p·(1 - lr·wd);  m = m·β1 + (1 - β1)·g;  v = v·β2 + (1 - β2)·g·g;
//         p += (-lr / bc1)·m / (sqrt(v) / sqrt(bc2) + eps)
//   RMSprop: g' = g + wd·p;  v = v·α + (1 - α)·g'·g';  centered: a = a·α + (1 - α)·g', avg = sqrt(v - a·a) + eps,
//         else avg = sqrt(v) + eps;  momentum: buf = buf·momentum + g' / avg, p += (-lr)·buf; else p += (-lr)·g' / avg
//   clip: coef = min(1, (1 / (norm + 1e-6))·max_norm)  (torch.nn.utils.clip_grad_norm_; max_norm / t is
//         reciprocal(t)·max_norm in PyTorch);  grad *= coef
// The gradient is never modified by the optimizer steps (weight decay works on a copy, as in PyTorch).
// Values that change every step (lr, bias corrections, AdamW's decay) come from a small storage buffer, `hyper`,
// rather than the uniform, so the uniform words of each parameter stay the same from step to step.

struct SgdParams {
  n: u32,             // elements of the parameter / gradient
  weight_decay: f32,  // L2 penalty added to the gradient (0 = none)
}

struct SgdMomentumParams {
  n: u32,
  weight_decay: f32,
  momentum: f32,        // momentum factor
  dampening_keep: f32,  // 1 - dampening
  flags: u32,           // bit 0 = first step (buf = g'), bit 1 = nesterov
}

struct AdamParams {
  n: u32,
  weight_decay: f32,
  slot: u32,             // which pair of `hyper` belongs to this parameter
  beta1_weight: f32,     // 1 - β1 (the lerp weight)
  beta2: f32,            // β2
  one_minus_beta2: f32,  // 1 - β2
  eps: f32,              // ε
}

struct ClipParams {
  max_norm: f32,  // the clipping threshold
}

struct CountParams {
  n: u32,  // elements of x
}

struct AdamWParams {
  n: u32,               // elements of the parameter
  slot: u32,            // which triple of `hyper` belongs to this parameter
  beta1: f32,
  one_minus_beta1: f32,
  beta2: f32,
  one_minus_beta2: f32,
  eps: f32,
}

struct RMSpropParams {
  n: u32,               // elements of the parameter
  alpha: f32,
  one_minus_alpha: f32,
  eps: f32,
  weight_decay: f32,    // L2 penalty added to the gradient (0 = none)
  momentum: f32,        // the momentum entry points' factor
}

struct ClipValueParams {
  n: u32,               // elements of the gradient
  clip_value: f32,      // clip_grad_value: the bound
}

@group(0) @binding(0) var<uniform> sgd: SgdParams;
@group(0) @binding(8) var<uniform> sgdm: SgdMomentumParams;
@group(0) @binding(9) var<uniform> adam: AdamParams;
@group(0) @binding(10) var<uniform> clip: ClipParams;
@group(0) @binding(11) var<uniform> count: CountParams;
@group(0) @binding(12) var<uniform> adamw: AdamWParams;
@group(0) @binding(13) var<uniform> rmsprop: RMSpropParams;
@group(0) @binding(14) var<uniform> clip_grad: ClipValueParams;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;     // [n] parameter updated in place (the gradient, for scale_by_coefficient)
@group(0) @binding(2) var<storage, read> grad: array<f32>;        // [n] gradient of x
@group(0) @binding(3) var<storage, read_write> m: array<f32>;     // [n] Adam(W) first moment / SGD, RMSprop momentum buffer
@group(0) @binding(4) var<storage, read_write> v: array<f32>;     // [n] Adam(W) second moment / RMSprop square average
@group(0) @binding(5) var<storage, read> hyper: array<f32>;       // sgd, rmsprop: [1] = lr; adam: [2·slots] = (lr / bc1, sqrt(bc2)) per slot; adamw: [3·slots]
@group(0) @binding(6) var<storage, read> norm: array<f32>;        // [1] total gradient norm (ops/reduce.ts globalNorm)
@group(0) @binding(7) var<storage, read_write> coef: array<f32>;  // [1] clipping coefficient
@group(0) @binding(15) var<storage, read_write> grad_avg: array<f32>;  // [n] RMSprop centered: running average of g'

// WG and flat_index come from common.wgsl (appended).

// The gradient with L2 weight decay: grad.add(param, alpha=weight_decay).
fn decayed_grad(i: u32, weight_decay: f32) -> f32 {
  var g = grad[i];
  if (weight_decay != 0.0) { g = g + weight_decay * x[i]; }
  return g;
}

// x -= lr · g'   (param.add_(grad, alpha=-lr))
@compute @workgroup_size(WG)
fn sgd_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= sgd.n) { return; }
  let g = decayed_grad(i, sgd.weight_decay);
  x[i] = x[i] + (-hyper[0]) * g;
}

// SGD with momentum (torch.optim.SGD momentum / dampening / nesterov).
@compute @workgroup_size(WG)
fn sgd_momentum_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= sgdm.n) { return; }
  let g = decayed_grad(i, sgdm.weight_decay);
  var buf: f32;
  if ((sgdm.flags & 1u) != 0u) {
    buf = g;                                        // torch.clone(d_p)
  } else {
    buf = m[i] * sgdm.momentum;                        // buf.mul_(momentum)
    buf = buf + sgdm.dampening_keep * g;               //    .add_(d_p, alpha=1 - dampening)
  }
  m[i] = buf;
  var d = buf;
  if ((sgdm.flags & 2u) != 0u) { d = g + sgdm.momentum * buf; }  // d_p.add(buf, alpha=momentum)
  x[i] = x[i] + (-hyper[0]) * d;
}

// Adam (torch.optim.Adam, amsgrad off, maximize off).
@compute @workgroup_size(WG)
fn adam_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= adam.n) { return; }
  let g = decayed_grad(i, adam.weight_decay);
  // exp_avg.lerp_(grad, 1 - β1), with ATen's two-branch lerp
  let w = adam.beta1_weight;
  let m0 = m[i];
  var m1: f32;
  if (abs(w) < 0.5) {
    m1 = m0 + w * (g - m0);
  } else {
    m1 = g - (g - m0) * (1.0 - w);
  }
  // exp_avg_sq.mul_(β2).addcmul_(grad, grad, value=1 - β2)
  var v1 = v[i] * adam.beta2;
  v1 = v1 + adam.one_minus_beta2 * g * g;
  m[i] = m1;
  v[i] = v1;
  let step_size = hyper[2u * adam.slot];           // lr / bc1
  let bc2_sqrt = hyper[2u * adam.slot + 1u];       // sqrt(bc2)
  // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
  let denom = sqrt(v1) / bc2_sqrt + adam.eps;
  // param.addcdiv_(exp_avg, denom, value=-step_size)
  x[i] = x[i] + (-step_size) * m1 / denom;
}

// coef[0] = min(1, max_norm / (norm[0] + 1e-6)); one thread.
@compute @workgroup_size(1)
fn clip_coefficient() {
  let c = (1.0 / (norm[0] + 1e-6)) * clip.max_norm;
  coef[0] = min(c, 1.0);
}

// x[i] *= coef[0]  (x is a gradient here)
@compute @workgroup_size(WG)
fn scale_by_coefficient(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i < count.n) { x[i] = x[i] * coef[0]; }
}

// AdamW (torch.optim.AdamW, amsgrad off).
// hyper: [3·slots] = (1 - lr·wd, lr / bc1, sqrt(bc2)) per slot, computed in float64 as PyTorch does in Python.
@compute @workgroup_size(WG)
fn adamw_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= adamw.n) { return; }
  let decay = hyper[3u * adamw.slot];
  let step_size = hyper[3u * adamw.slot + 1u];
  let bc2_sqrt = hyper[3u * adamw.slot + 2u];
  let g = grad[i];
  let xi = x[i] * decay;                                              // param.mul_(1 - lr·wd)
  let m1 = m[i] * adamw.beta1 + adamw.one_minus_beta1 * g;            // exp_avg.mul_(β1).add_(grad, alpha=1 - β1)
  let v1 = v[i] * adamw.beta2 + adamw.one_minus_beta2 * g * g;        // exp_avg_sq.mul_(β2).addcmul_(grad, grad, value=1 - β2)
  m[i] = m1;
  v[i] = v1;
  let denom = sqrt(v1) / bc2_sqrt + adamw.eps;                        // (exp_avg_sq.sqrt() / bc2_sqrt).add_(eps)
  x[i] = xi + (-step_size) * m1 / denom;                              // param.addcdiv_(exp_avg, denom, value=-step_size)
}

// RMSprop (torch.optim.RMSprop): v is the square average, m the momentum buffer, grad_avg the centered average;
// one entry point per combination of centered and momentum, so each binds only the state it has.
fn rmsprop_grad(i: u32) -> f32 {
  var g = grad[i];
  if (rmsprop.weight_decay != 0.0) { g = g + rmsprop.weight_decay * x[i]; }  // grad.add(param, alpha=weight_decay)
  return g;
}

// Updates the square average; returns sqrt(v) + eps.
fn rmsprop_avg(i: u32, g: f32) -> f32 {
  let v1 = v[i] * rmsprop.alpha + rmsprop.one_minus_alpha * g * g;  // square_avg.mul_(α).addcmul_(grad, grad, value=1 - α)
  v[i] = v1;
  return sqrt(v1) + rmsprop.eps;
}

// Updates the square and gradient averages; returns sqrt(v - a·a) + eps.
fn rmsprop_centered_avg(i: u32, g: f32) -> f32 {
  let v1 = v[i] * rmsprop.alpha + rmsprop.one_minus_alpha * g * g;
  let a1 = grad_avg[i] * rmsprop.alpha + rmsprop.one_minus_alpha * g;  // grad_avg.mul_(α).add_(grad, alpha=1 - α)
  v[i] = v1;
  grad_avg[i] = a1;
  return sqrt(v1 + (-1.0) * a1 * a1) + rmsprop.eps;                    // square_avg.addcmul(a, a, value=-1).sqrt_().add_(eps)
}

// p += (-lr)·g' / avg   (param.addcdiv_(grad, avg, value=-lr)); hyper[0] = lr
fn rmsprop_apply(i: u32, g: f32, avg: f32) {
  x[i] = x[i] + (-hyper[0]) * g / avg;
}

// buf = buf·momentum + g' / avg;  p += (-lr)·buf
fn rmsprop_apply_momentum(i: u32, g: f32, avg: f32) {
  let buf = m[i] * rmsprop.momentum + g / avg;  // buf.mul_(momentum).addcdiv_(grad, avg)
  m[i] = buf;
  x[i] = x[i] + (-hyper[0]) * buf;              // param.add_(buf, alpha=-lr)
}

@compute @workgroup_size(WG)
fn rmsprop_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= rmsprop.n) { return; }
  let g = rmsprop_grad(i);
  rmsprop_apply(i, g, rmsprop_avg(i, g));
}

@compute @workgroup_size(WG)
fn rmsprop_momentum_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= rmsprop.n) { return; }
  let g = rmsprop_grad(i);
  rmsprop_apply_momentum(i, g, rmsprop_avg(i, g));
}

@compute @workgroup_size(WG)
fn rmsprop_centered_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= rmsprop.n) { return; }
  let g = rmsprop_grad(i);
  rmsprop_apply(i, g, rmsprop_centered_avg(i, g));
}

@compute @workgroup_size(WG)
fn rmsprop_centered_momentum_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= rmsprop.n) { return; }
  let g = rmsprop_grad(i);
  rmsprop_apply_momentum(i, g, rmsprop_centered_avg(i, g));
}

// torch.nn.utils.clip_grad_value_: x[i] = clamp(x[i], -clip_value, clip_value) (x is a gradient here); NaN stays NaN.
@compute @workgroup_size(WG)
fn clip_grad_value(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= clip_grad.n) { return; }
  let g = x[i];
  x[i] = select(min(max(g, -clip_grad.clip_value), clip_grad.clip_value), g, g != g);
}
