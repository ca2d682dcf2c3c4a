// Elman RNN cell, one whole time step per dispatch (PyTorch nn.RNN):
//   h_t = act(x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh),  act = tanh or relu
// The input projection x·W_ihᵀ for all steps comes precomputed (one matmul, or a gather for token ids).
// Backward, one dispatch per step: each thread (b, k) recomputes the row's pre-activation gradients
//   dpre_t = (dout_t + dh_t) ⊙ act'(h_t)
// on the fly and reduces dh_{t-1}[b, k] = Σ_j dpre_t[b, j] · W_hh[j, k], so no second dispatch is needed.
// Variable lengths (HAS_LENGTHS): row b runs the steps t < len[b]. Past them forward writes zeros and backward
// passes dh through unchanged; a step whose previous step lies past the row's end (the reverse direction's first)
// starts from h0.

// p: StepParams (T, B, H, P = H, t, t_prev) at binding 0 and NO_STEP come from recurrence.wgsl (appended).
@group(0) @binding(1) var<storage, read> xproj: array<f32>;         // [T, B, H]
@group(0) @binding(2) var<storage, read> w_hh: array<f32>;          // [H, H]
@group(0) @binding(3) var<storage, read> b_ih: array<f32>;          // [H]
@group(0) @binding(4) var<storage, read> b_hh: array<f32>;          // [H]
@group(0) @binding(5) var<storage, read> h0: array<f32>;            // [B, H]
@group(0) @binding(6) var<storage, read_write> out: array<f32>;     // [T, B, H] forward writes, saved for backward
@group(0) @binding(7) var<storage, read> dout: array<f32>;          // [T, B, H] upstream gradient of out
@group(0) @binding(8) var<storage, read> dh_in: array<f32>;         // [B, H] gradient reaching h_t from step t+1 (dh_N first)
@group(0) @binding(9) var<storage, read_write> dh_out: array<f32>;  // [B, H] gradient of h_{t-1}
@group(0) @binding(10) var<storage, read_write> dpre: array<f32>;   // [T, B, H] gradient of the pre-activation
@group(0) @binding(11) var<storage, read> states: array<f32>;       // [T, B, H] saved outputs (backward reads)
@group(0) @binding(12) var<storage, read> lengths: array<i32>;      // [B] steps per row (HAS_LENGTHS)

override RELU: bool = false;
override HAS_BIAS: bool = true;
override HAS_DOUT: bool = true;   // false: nothing downstream used `output`, only h_N
override HAS_LENGTHS: bool = false;

const WG: u32 = 64u;

fn row_length(b: u32) -> u32 {
  if (HAS_LENGTHS) { return u32(lengths[b]); }
  return p.T;
}

// Whether row b's step starts from h0 rather than from the previous step's output.
fn starts_from_h0(b: u32) -> bool {
  return p.t_prev == NO_STEP || p.t_prev >= row_length(b);
}

fn hprev(b: u32, k: u32, from_h0: bool) -> f32 {
  if (from_h0) { return h0[b * p.H + k]; }
  return out[(p.t_prev * p.B + b) * p.H + k];
}

@compute @workgroup_size(WG)
fn rnn_step_forward(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x;  // b * H + j
  if (idx >= p.B * p.H) { return; }
  let b = idx / p.H;
  let j = idx % p.H;
  if (p.t >= row_length(b)) {
    out[p.t * p.B * p.H + idx] = 0.0;
    return;
  }
  let from_h0 = starts_from_h0(b);
  var pre = xproj[p.t * p.B * p.H + idx];
  if (HAS_BIAS) { pre += b_ih[j] + b_hh[j]; }
  for (var k = 0u; k < p.H; k++) {
    pre = fma(hprev(b, k, from_h0), w_hh[j * p.H + k], pre);
  }
  var h: f32;
  if (RELU) { h = safe_relu(pre); } else { h = safe_tanh(pre); }
  out[p.t * p.B * p.H + idx] = h;
}

// Gradient of the pre-activation of unit j in row b at step t.
fn dpre_of(b: u32, j: u32) -> f32 {
  let o = (p.t * p.B + b) * p.H + j;
  var d = dh_in[b * p.H + j];
  if (HAS_DOUT) { d += dout[o]; }
  let h = states[o];
  if (RELU) { return select(0.0, d, h > 0.0); }
  return d * (1.0 - h * h);
}

@compute @workgroup_size(WG)
fn rnn_step_backward(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x;  // b * H + k
  if (idx >= p.B * p.H) { return; }
  let b = idx / p.H;
  let k = idx % p.H;
  if (p.t >= row_length(b)) {
    dpre[p.t * p.B * p.H + idx] = 0.0;
    dh_out[idx] = dh_in[idx];
    return;
  }
  var acc = 0.0;
  for (var j = 0u; j < p.H; j++) {
    acc = fma(dpre_of(b, j), w_hh[j * p.H + k], acc);
  }
  dpre[p.t * p.B * p.H + idx] = dpre_of(b, k);
  dh_out[idx] = acc;
}
