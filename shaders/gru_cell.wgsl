// GRU cell, one whole time step per dispatch (PyTorch nn.GRU, gate order r, z, n):
//   r  = σ(x_r + b_ir + W_hr·h + b_hr)
//   z  = σ(x_z + b_iz + W_hz·h + b_hz)
//   hn = W_hn·h + b_hn
//   n  = tanh(x_n + b_in + r ⊙ hn)
//   h' = (1 − z) ⊙ n + z ⊙ h
// The input projection x·W_ihᵀ for all steps comes precomputed, without bias. Forward saves r, z, n, hn and h
// (dr needs hn, which is not recoverable from the others; dz needs the state h the step started from).
// Backward, one dispatch per step, with dh = dout_t + dh_t:
//   dn_pre = dh ⊙ (1 − z) ⊙ (1 − n²),  dz_pre = dh ⊙ (h − n) ⊙ z(1 − z),  dr_pre = dn_pre ⊙ hn ⊙ r(1 − r)
//   input side:     dGatesX = [dr_pre, dz_pre, dn_pre]
//   recurrent side: dGatesH = [dr_pre, dz_pre, dn_pre ⊙ r]
//   dh_{t-1} = dGatesH·W_hh + dh ⊙ z
// Each thread (b, k) recomputes row b's dGatesH on the fly to reduce dh_{t-1}[b, k], so no second dispatch.
// Variable lengths (HAS_LENGTHS): row b runs the steps t < len[b]. Past them forward writes zeros and backward
// passes dh through unchanged; a step whose previous step lies past the row's end (the reverse direction's first)
// starts from h0.

// p: StepParams (T, B, H, P = H, t, t_prev) at binding 0 and NO_STEP come from recurrence.wgsl (appended).
@group(0) @binding(1) var<storage, read> xproj: array<f32>;            // [T, B, 3H]
@group(0) @binding(2) var<storage, read> w_hh: array<f32>;             // [3H, H]
@group(0) @binding(3) var<storage, read> b_ih: array<f32>;             // [3H]
@group(0) @binding(4) var<storage, read> b_hh: array<f32>;             // [3H]
@group(0) @binding(5) var<storage, read> h0: array<f32>;               // [B, H]
@group(0) @binding(6) var<storage, read_write> out: array<f32>;        // [T, B, H] forward writes, saved for backward
@group(0) @binding(7) var<storage, read_write> gates: array<f32>;      // [T, B, 5H] forward writes r, z, n, hn, h
@group(0) @binding(8) var<storage, read> dout: array<f32>;             // [T, B, H] upstream gradient of out
@group(0) @binding(9) var<storage, read> dh_in: array<f32>;            // [B, H] gradient reaching h_t from step t+1 (dh_N first)
@group(0) @binding(10) var<storage, read_write> dh_out: array<f32>;    // [B, H] gradient of h_{t-1}
@group(0) @binding(11) var<storage, read_write> dgates_x: array<f32>;  // [T, B, 3H] gradient of the input-side pre-activations
@group(0) @binding(12) var<storage, read_write> dgates_h: array<f32>;  // [T, B, 3H] gradient of the recurrent-side pre-activations
@group(0) @binding(13) var<storage, read> lengths: array<i32>;         // [B] steps per row (HAS_LENGTHS)
@group(0) @binding(14) var<storage, read> saved: array<f32>;           // [T, B, 5H] the gates and h forward saved
// Backward reads h_{t-1} from `saved` rather than from out and h0: that keeps both entry points within
// 8 storage buffers, WebGPU's default per-stage limit.

override HAS_BIAS: bool = true;
override SAVE: bool = true;       // false: no gradient needed, skip writing the gates
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

fn h_before(b: u32, k: u32, from_h0: bool) -> f32 {
  if (from_h0) { return h0[b * p.H + k]; }
  return out[(p.t_prev * p.B + b) * p.H + k];
}

@compute @workgroup_size(WG)
fn gru_step_forward(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x;  // b * H + j
  if (idx >= p.B * p.H) { return; }
  let H = p.H;
  let b = idx / H;
  let j = idx % H;
  let g = (p.t * p.B + b) * 5u * H + j;
  if (p.t >= row_length(b)) {
    out[p.t * p.B * H + idx] = 0.0;
    if (SAVE) {
      for (var s = 0u; s < 5u; s++) { gates[g + s * H] = 0.0; }
    }
    return;
  }
  let from_h0 = starts_from_h0(b);
  let x = (p.t * p.B + b) * 3u * H;
  var ar = xproj[x + j];
  var az = xproj[x + H + j];
  let an = xproj[x + 2u * H + j];
  var hn = 0.0;
  var bn = 0.0;
  if (HAS_BIAS) {
    ar += b_ih[j] + b_hh[j];
    az += b_ih[H + j] + b_hh[H + j];
    bn = b_ih[2u * H + j];
    hn = b_hh[2u * H + j];  // b_hn sits inside r ⊙ (·), unlike b_in
  }
  for (var k = 0u; k < H; k++) {
    let h = h_before(b, k, from_h0);
    ar = fma(h, w_hh[j * H + k], ar);
    az = fma(h, w_hh[(H + j) * H + k], az);
    hn = fma(h, w_hh[(2u * H + j) * H + k], hn);
  }
  let r = safe_sigmoid(ar);
  let z = safe_sigmoid(az);
  let n = safe_tanh(an + bn + r * hn);
  let h = h_before(b, j, from_h0);
  out[p.t * p.B * H + idx] = (1.0 - z) * n + z * h;
  if (SAVE) {
    gates[g] = r;
    gates[g + H] = z;
    gates[g + 2u * H] = n;
    gates[g + 3u * H] = hn;
    gates[g + 4u * H] = h;
  }
}

struct GateGrads {
  x: vec3f,     // (dr_pre, dz_pre, dn_pre): input side
  h: vec3f,     // (dr_pre, dz_pre, dn_pre ⊙ r): recurrent side
  direct: f32,  // dh ⊙ z: the path h' = … + z ⊙ h
}

// Pre-activation gradients of unit j in row b at step t.
fn gate_grads(b: u32, j: u32) -> GateGrads {
  let H = p.H;
  let o = (p.t * p.B + b) * H + j;
  var dh = dh_in[b * H + j];
  if (HAS_DOUT) { dh += dout[o]; }
  let g = (p.t * p.B + b) * 5u * H + j;
  let r = saved[g];
  let z = saved[g + H];
  let n = saved[g + 2u * H];
  let hn = saved[g + 3u * H];
  let h = saved[g + 4u * H];
  let dn = dh * (1.0 - z) * (1.0 - n * n);
  let dz = dh * (h - n) * z * (1.0 - z);
  let dr = dn * hn * r * (1.0 - r);
  return GateGrads(vec3f(dr, dz, dn), vec3f(dr, dz, dn * r), dh * z);
}

@compute @workgroup_size(WG)
fn gru_step_backward(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x;  // b * H + k
  if (idx >= p.B * p.H) { return; }
  let H = p.H;
  let b = idx / H;
  let k = idx % H;
  let row = (p.t * p.B + b) * 3u * H + k;
  if (p.t >= row_length(b)) {
    for (var s = 0u; s < 3u; s++) {
      dgates_x[row + s * H] = 0.0;
      dgates_h[row + s * H] = 0.0;
    }
    dh_out[idx] = dh_in[idx];
    return;
  }
  var acc = 0.0;
  for (var j = 0u; j < H; j++) {
    let d = gate_grads(b, j).h;
    acc = fma(d.x, w_hh[j * H + k], acc);
    acc = fma(d.y, w_hh[(H + j) * H + k], acc);
    acc = fma(d.z, w_hh[(2u * H + j) * H + k], acc);
  }
  let own = gate_grads(b, k);
  dgates_x[row] = own.x.x;
  dgates_x[row + H] = own.x.y;
  dgates_x[row + 2u * H] = own.x.z;
  dgates_h[row] = own.h.x;
  dgates_h[row + H] = own.h.y;
  dgates_h[row + 2u * H] = own.h.z;
  dh_out[idx] = acc + own.direct;
}
