// Elman RNN cell, one whole time step per dispatch (PyTorch nn.RNN):
//   h_t = act(x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh),  act = tanh or relu
// The input projection x·W_ihᵀ for all steps comes precomputed (one matmul, or a gather for token ids).
// Backward, one dispatch per step: each thread (b, k) recomputes the row's pre-activation gradients
//   dpre_t = (dout_t + dh_t) ⊙ act'(h_t)
// on the fly and reduces dh_{t-1}[b, k] = Σ_j dpre_t[b, j] · W_hh[j, k], so no second dispatch is needed.
// Both directions of a bidirectional layer run in one dispatch (gid.z = direction d; recurrence.wgsl).
// Variable lengths (HAS_LENGTHS): row b runs the steps t < len[b]. Past them forward writes zeros and backward
// passes dh through unchanged; a step whose previous step lies past the row's end (the reverse direction's first)
// starts from h0.

// p: StepParams at binding 0, NO_STEP, step_of and prev_of come from recurrence.wgsl (appended).
@group(0) @binding(1) var<storage, read> xproj: array<f32>;           // [T, B, H] direction 0's x·W_ihᵀ
@group(0) @binding(2) var<storage, read> xproj_rev: array<f32>;       // [T, B, H] direction 1's (D = 2)
@group(0) @binding(3) var<storage, read> w_hh: array<f32>;            // [D, H, H]
// Bindings 4 and 5: the biases b_ih, b_hh [D, H] (D = 1) or the final states (D = 2): step_biases.wgsl, step_finals.wgsl.
@group(0) @binding(6) var<storage, read> h0: array<f32>;              // [D, B, H]
@group(0) @binding(7) var<storage, read_write> out: array<f32>;       // [T, B, D·H] forward writes, saved for backward
@group(0) @binding(8) var<storage, read> dout: array<f32>;            // [T, B, D·H] upstream gradient of out
@group(0) @binding(9) var<storage, read> dh_in: array<f32>;           // [D, B, H] gradient reaching h_t from step t+1 (dh_N first)
@group(0) @binding(10) var<storage, read_write> dh_out: array<f32>;   // [D, B, H] gradient of h_{t-1}
@group(0) @binding(11) var<storage, read_write> dpre: array<f32>;     // [T, B, H] direction 0's gradient of the pre-activation
@group(0) @binding(12) var<storage, read_write> dpre_rev: array<f32>; // [T, B, H] direction 1's (D = 2)
@group(0) @binding(13) var<storage, read> states: array<f32>;         // [T, B, D·H] saved outputs (backward reads)
@group(0) @binding(14) var<storage, read> lengths: array<i32>;        // [B] steps per row (HAS_LENGTHS)

override RELU: bool = false;
override HAS_BIAS: bool = true;
override HAS_DOUT: bool = true;   // false: nothing downstream used `output`, only h_N
override HAS_LENGTHS: bool = false;

const WG: u32 = 64u;

fn row_length(b: u32) -> u32 {
  if (HAS_LENGTHS) { return u32(lengths[b]); }
  return p.T;
}

// Where (t, b, unit j) of direction d sits in out / dout / states.
fn out_at(d: u32, t: u32, b: u32, j: u32) -> u32 {
  return (t * p.B + b) * p.D * p.H + d * p.H + j;
}

// Whether row b's step starts from h0 rather than from the previous step's output.
fn starts_from_h0(d: u32, b: u32) -> bool {
  return prev_of(d) == NO_STEP || prev_of(d) >= row_length(b);
}

fn hprev(d: u32, b: u32, k: u32, from_h0: bool) -> f32 {
  if (from_h0) { return h0[(d * p.B + b) * p.H + k]; }
  return out[out_at(d, prev_of(d), b, k)];
}

fn xproj_at(d: u32, i: u32) -> f32 {
  if (d == 0u) { return xproj[i]; }
  return xproj_rev[i];
}

@compute @workgroup_size(WG)
fn rnn_step_forward(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x;  // b * H + j
  let d = gid.z;
  if (idx >= p.B * p.H) { return; }
  let b = idx / p.H;
  let j = idx % p.H;
  let t = step_of(d);
  if (t >= row_length(b)) {
    out[out_at(d, t, b, j)] = 0.0;
    return;
  }
  let from_h0 = starts_from_h0(d, b);
  var pre = xproj_at(d, t * p.B * p.H + idx);
  if (HAS_BIAS) { pre += bias_ih(d * p.H + j) + bias_hh(d * p.H + j); }
  let w0 = d * p.H * p.H;
  for (var k = 0u; k < p.H; k++) {
    pre = fma(hprev(d, b, k, from_h0), w_hh[w0 + j * p.H + k], pre);
  }
  var h: f32;
  if (RELU) { h = safe_relu(pre); } else { h = safe_tanh(pre); }
  out[out_at(d, t, b, j)] = h;
  keep_final_h(d, b, j, h);
}

// Gradient of the pre-activation of unit j in row b at direction d's step t.
fn dpre_of(d: u32, t: u32, b: u32, j: u32) -> f32 {
  let o = out_at(d, t, b, j);
  var g = dh_in[p.ds_at + (d * p.B + b) * p.H + j];
  if (HAS_DOUT) { g += dout[o]; }
  let h = states[o];
  if (RELU) { return select(0.0, g, h > 0.0); }
  return g * (1.0 - h * h);
}

fn write_dpre(d: u32, i: u32, v: f32) {
  if (d == 0u) { dpre[i] = v; } else { dpre_rev[i] = v; }
}

@compute @workgroup_size(WG)
fn rnn_step_backward(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x;  // b * H + k
  let d = gid.z;
  if (idx >= p.B * p.H) { return; }
  let b = idx / p.H;
  let k = idx % p.H;
  let t = step_of(d);
  let s = d * p.B * p.H + idx;
  if (t >= row_length(b)) {
    write_dpre(d, t * p.B * p.H + idx, 0.0);
    dh_out[s] = dh_in[p.ds_at + s];
    return;
  }
  let w0 = d * p.H * p.H;
  var acc = 0.0;
  for (var j = 0u; j < p.H; j++) {
    acc = fma(dpre_of(d, t, b, j), w_hh[w0 + j * p.H + k], acc);
  }
  write_dpre(d, t * p.B * p.H + idx, dpre_of(d, t, b, k));
  dh_out[s] = acc;
}
