// Elementwise losses of an input x against a target y of the same shape (PyTorch's F.mse_loss, F.l1_loss,
// F.binary_cross_entropy_with_logits), each reduced by 'none' (one thread per element), or by 'mean' / 'sum' in
// one workgroup that computes and sums in the same dispatch. KIND picks the loss:
//   0 mse: (x - y)²                       dx = 2(x - y)          dy = -dx
//   1 l1:  |x - y|                        dx = sign(x - y)       dy = -dx
//   2 bce with logits, stable (PyTorch's form, m = max(-x, 0), w = 1 + (pos_weight - 1)·y):
//          (1 - y)·x + w·(log(exp(-m) + exp(-x - m)) + m)
//                                         dx = (pw·y + 1 - y)·σ(x) - pw·y     dy = logσ(-x) - pw·logσ(x)
//          without pos_weight:            dx = σ(x) - y                       dy = -x
// Backward writes dx, dy or both in one dispatch (scaled by dloss / n for 'mean').

struct Params {
  n: u32,  // elements of x and y
  C: u32,  // length of the last axis (pos_weight broadcasts over it)
}

override KIND: u32 = 0u;                // 0 mse, 1 l1, 2 bce with logits
override HAS_POS_WEIGHT: bool = false;  // bce: pos_weight is bound
override MEAN: bool = true;             // reduced forward and backward: divide by n (else: sum)
override REDUCED: bool = true;          // backward: dloss is [1] (mean, sum), else [n] (none)
override INPUT_GRAD: u32 = 0u;          // backward: 0 no dx, 1 write dx, 2 add into dx
override TARGET_GRAD: u32 = 0u;         // backward: the same for dy

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> inputs: array<f32>;         // [n] x
@group(0) @binding(2) var<storage, read> targets: array<f32>;        // [n] y
@group(0) @binding(3) var<storage, read> pos_weight: array<f32>;     // [C] (unread unless HAS_POS_WEIGHT: then any read-only buffer)
@group(0) @binding(4) var<storage, read_write> out: array<f32>;      // [n] (none) or [1] (mean, sum)
@group(0) @binding(5) var<storage, read> dloss: array<f32>;          // [n] (none) or [1] (mean, sum)
@group(0) @binding(6) var<storage, read_write> dinput: array<f32>;   // [n] (a placeholder unless INPUT_GRAD)
@group(0) @binding(7) var<storage, read_write> dtarget: array<f32>;  // [n] (a placeholder unless TARGET_GRAD)

// WG, flat_index and workgroup_sum come from common.wgsl (appended).

fn pos_weight_at(i: u32) -> f32 {
  if (HAS_POS_WEIGHT) { return pos_weight[i % p.C]; }
  return 1.0;
}

// log σ(z) = min(z, 0) - log(1 + exp(-|z|)), finite for any z.
fn log_sigmoid(z: f32) -> f32 {
  return min(z, 0.0) - log(1.0 + exp(-abs(z)));
}

fn loss_at(i: u32) -> f32 {
  let x = inputs[i];
  let y = targets[i];
  if (KIND == 0u) {
    let d = x - y;
    return d * d;
  }
  if (KIND == 1u) { return abs(x - y); }
  let m = max(-x, 0.0);
  let softplus = log(exp(-m) + exp(-x - m)) + m;  // log(1 + exp(-x))
  if (HAS_POS_WEIGHT) {
    let w = (pos_weight_at(i) - 1.0) * y + 1.0;
    return (1.0 - y) * x + w * softplus;
  }
  return (1.0 - y) * x + softplus;
}

// d loss_at(i) / dx
fn input_grad_at(i: u32) -> f32 {
  let x = inputs[i];
  let y = targets[i];
  if (KIND == 0u) { return 2.0 * (x - y); }
  if (KIND == 1u) { return sign(x - y); }
  let s = 1.0 / (1.0 + exp(-x));
  if (HAS_POS_WEIGHT) {
    let t = pos_weight_at(i) * y;
    return (t + 1.0 - y) * s - t;
  }
  return s - y;
}

// d loss_at(i) / dy
fn target_grad_at(i: u32) -> f32 {
  let x = inputs[i];
  if (KIND == 0u) { return -2.0 * (x - targets[i]); }
  if (KIND == 1u) { return -sign(x - targets[i]); }
  if (HAS_POS_WEIGHT) { return log_sigmoid(-x) - pos_weight_at(i) * log_sigmoid(x); }
  return -x;
}

// Reduction 'none': out[i] = loss_at(i).
@compute @workgroup_size(WG)
fn loss_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i < p.n) { out[i] = loss_at(i); }
}

// Reductions 'mean' and 'sum': out[0] = Σ loss_at(i) (/ n); one workgroup.
@compute @workgroup_size(WG)
fn loss_forward_reduced(@builtin(local_invocation_index) li: u32) {
  var acc = 0.0;
  for (var i = li; i < p.n; i += WG) { acc += loss_at(i); }
  let total = workgroup_sum(li, acc);
  if (li == 0u) {
    if (MEAN) { out[0] = total / f32(p.n); } else { out[0] = total; }
  }
}

@compute @workgroup_size(WG)
fn loss_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= p.n) { return; }
  var scale: f32;
  if (REDUCED) {
    scale = dloss[0];
    if (MEAN) { scale = scale / f32(p.n); }
  } else {
    scale = dloss[i];
  }
  if (INPUT_GRAD != 0u) {
    let g = input_grad_at(i) * scale;
    if (INPUT_GRAD == 2u) { dinput[i] += g; } else { dinput[i] = g; }
  }
  if (TARGET_GRAD != 0u) {
    let g = target_grad_at(i) * scale;
    if (TARGET_GRAD == 2u) { dtarget[i] += g; } else { dtarget[i] = g; }
  }
}
