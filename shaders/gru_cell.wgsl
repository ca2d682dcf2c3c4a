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
// Both directions of a bidirectional layer run in one dispatch (gid.z = direction d; recurrence.wgsl).
// Variable lengths (HAS_LENGTHS): row b runs the steps t < len[b]. Past them forward writes zeros and backward
// passes dh through unchanged; a step whose previous step lies past the row's end (the reverse direction's first)
// starts from h0.
// Within WebGPU's default 8 storage buffers per stage: h0 travels at the tail of `gates` (after the saved gates;
// without SAVE `gates` is h0 itself), and backward's dh_t / dh_{t-1} are the two halves of one buffer.

// p: StepParams at binding 0, NO_STEP, step_of and prev_of come from recurrence.wgsl (appended).
@group(0) @binding(1) var<storage, read> xproj: array<f32>;               // [T, B, 3H] direction 0's x·W_ihᵀ
@group(0) @binding(2) var<storage, read> xproj_rev: array<f32>;           // [T, B, 3H] direction 1's (D = 2)
@group(0) @binding(3) var<storage, read> w_hh: array<f32>;                // [D, 3H, H]
// Bindings 4 and 5: the biases b_ih, b_hh [D, 3H] (D = 1) or the final states (D = 2): step_biases.wgsl, step_finals.wgsl.
@group(0) @binding(6) var<storage, read_write> out: array<f32>;           // [T, B, D·H] forward writes, saved for backward
@group(0) @binding(7) var<storage, read_write> gates: array<f32>;         // [D, T, B, 5H] r, z, n, hn, h (SAVE), then h0 [D, B, H]
@group(0) @binding(8) var<storage, read> dout: array<f32>;                // [T, B, D·H] upstream gradient of out
@group(0) @binding(9) var<storage, read_write> dh: array<f32>;            // [2, D, B, H] half p.phase: dh_t (from step t+1); the other: dh_{t-1}
@group(0) @binding(10) var<storage, read_write> dgates_x: array<f32>;     // [T, B, 3H] direction 0's gradient of the input-side pre-activations
@group(0) @binding(11) var<storage, read_write> dgates_x_rev: array<f32>; // [T, B, 3H] direction 1's (D = 2)
@group(0) @binding(12) var<storage, read_write> dgates_h: array<f32>;     // [D, T, B, 3H] gradient of the recurrent-side pre-activations
@group(0) @binding(13) var<storage, read> lengths: array<i32>;            // [B] steps per row (HAS_LENGTHS)
@group(0) @binding(14) var<storage, read> saved: array<f32>;              // forward's `gates`

override HAS_BIAS: bool = true;
override SAVE: bool = true;       // false: no gradient needed, skip writing the gates
override HAS_H0: bool = true;     // false: h0 is zeros (forward writes them to the tail when SAVE)
override HAS_DOUT: bool = true;   // false: nothing downstream used `output`, only h_N
override HAS_LENGTHS: bool = false;

const WG: u32 = 64u;

fn row_length(b: u32) -> u32 {
  if (HAS_LENGTHS) { return u32(lengths[b]); }
  return p.T;
}

fn out_at(d: u32, t: u32, b: u32, j: u32) -> u32 {
  return (t * p.B + b) * p.D * p.H + d * p.H + j;
}

// Where direction d's saved gates of (t, b, unit j) start: r, z, n, hn, h follow at strides of H.
fn gates_at(d: u32, t: u32, b: u32, j: u32) -> u32 {
  return ((d * p.T + t) * p.B + b) * 5u * p.H + j;
}

fn h0_at(d: u32, b: u32, k: u32) -> u32 {
  var base = 0u;
  if (SAVE) { base = p.D * p.T * p.B * 5u * p.H; }
  return base + (d * p.B + b) * p.H + k;
}

// Whether row b's step starts from h0 rather than from the previous step's output.
fn starts_from_h0(d: u32, b: u32) -> bool {
  return prev_of(d) == NO_STEP || prev_of(d) >= row_length(b);
}

fn h_before(d: u32, b: u32, k: u32, from_h0: bool) -> f32 {
  if (from_h0) {
    if (HAS_H0) { return gates[h0_at(d, b, k)]; }
    return 0.0;
  }
  return out[out_at(d, prev_of(d), b, k)];
}

fn xproj_at(d: u32, i: u32) -> f32 {
  if (d == 0u) { return xproj[i]; }
  return xproj_rev[i];
}

@compute @workgroup_size(WG)
fn gru_step_forward(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x;  // b * H + j
  let d = gid.z;
  if (idx >= p.B * p.H) { return; }
  let H = p.H;
  let b = idx / H;
  let j = idx % H;
  let t = step_of(d);
  // Zero h0 kept for backward (read by no thread of this dispatch: they read 0.0 instead).
  if (SAVE && !HAS_H0 && prev_of(d) == NO_STEP) { gates[h0_at(d, b, j)] = 0.0; }
  let g = gates_at(d, t, b, j);
  if (t >= row_length(b)) {
    out[out_at(d, t, b, j)] = 0.0;
    if (SAVE) {
      for (var s = 0u; s < 5u; s++) { gates[g + s * H] = 0.0; }
    }
    return;
  }
  let from_h0 = starts_from_h0(d, b);
  let x = (t * p.B + b) * 3u * H;
  var ar = xproj_at(d, x + j);
  var az = xproj_at(d, x + H + j);
  let an = xproj_at(d, x + 2u * H + j);
  var hn = 0.0;
  var bn = 0.0;
  if (HAS_BIAS) {
    let bd = d * 3u * H;
    ar += bias_ih(bd + j) + bias_hh(bd + j);
    az += bias_ih(bd + H + j) + bias_hh(bd + H + j);
    bn = bias_ih(bd + 2u * H + j);
    hn = bias_hh(bd + 2u * H + j);  // b_hn sits inside r ⊙ (·), unlike b_in
  }
  let w0 = d * 3u * H * H;
  for (var k = 0u; k < H; k++) {
    let h = h_before(d, b, k, from_h0);
    ar = fma(h, w_hh[w0 + j * H + k], ar);
    az = fma(h, w_hh[w0 + (H + j) * H + k], az);
    hn = fma(h, w_hh[w0 + (2u * H + j) * H + k], hn);
  }
  let r = safe_sigmoid(ar);
  let z = safe_sigmoid(az);
  let n = safe_tanh(an + bn + r * hn);
  let h = h_before(d, b, j, from_h0);
  let h_new = (1.0 - z) * n + z * h;
  out[out_at(d, t, b, j)] = h_new;
  keep_final_h(d, b, j, h_new);
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

// Index of (d, b, k) in half `half` of dh.
fn dh_at(half: u32, d: u32, b: u32, k: u32) -> u32 {
  return ((half * p.D + d) * p.B + b) * p.H + k;
}

// Pre-activation gradients of unit j in row b at direction d's step t.
fn gate_grads(d: u32, t: u32, b: u32, j: u32) -> GateGrads {
  let H = p.H;
  var g_h = dh[dh_at(p.phase, d, b, j)];
  if (HAS_DOUT) { g_h += dout[out_at(d, t, b, j)]; }
  let g = gates_at(d, t, b, j);
  let r = saved[g];
  let z = saved[g + H];
  let n = saved[g + 2u * H];
  let hn = saved[g + 3u * H];
  let h = saved[g + 4u * H];
  let dn = g_h * (1.0 - z) * (1.0 - n * n);
  let dz = g_h * (h - n) * z * (1.0 - z);
  let dr = dn * hn * r * (1.0 - r);
  return GateGrads(vec3f(dr, dz, dn), vec3f(dr, dz, dn * r), g_h * z);
}

fn write_dgates_x(d: u32, i: u32, v: f32) {
  if (d == 0u) { dgates_x[i] = v; } else { dgates_x_rev[i] = v; }
}

@compute @workgroup_size(WG)
fn gru_step_backward(@builtin(global_invocation_id) gid: vec3u) {
  let idx = gid.x;  // b * H + k
  let d = gid.z;
  if (idx >= p.B * p.H) { return; }
  let H = p.H;
  let b = idx / H;
  let k = idx % H;
  let t = step_of(d);
  let row = (t * p.B + b) * 3u * H + k;
  let row_h = d * p.T * p.B * 3u * H + row;
  let dh_prev = dh_at(1u - p.phase, d, b, k);
  if (t >= row_length(b)) {
    for (var s = 0u; s < 3u; s++) {
      write_dgates_x(d, row + s * H, 0.0);
      dgates_h[row_h + s * H] = 0.0;
    }
    dh[dh_prev] = dh[dh_at(p.phase, d, b, k)];
    return;
  }
  let w0 = d * 3u * H * H;
  var acc = 0.0;
  for (var j = 0u; j < H; j++) {
    let g = gate_grads(d, t, b, j).h;
    acc = fma(g.x, w_hh[w0 + j * H + k], acc);
    acc = fma(g.y, w_hh[w0 + (H + j) * H + k], acc);
    acc = fma(g.z, w_hh[w0 + (2u * H + j) * H + k], acc);
  }
  let own = gate_grads(d, t, b, k);
  write_dgates_x(d, row, own.x.x);
  write_dgates_x(d, row + H, own.x.y);
  write_dgates_x(d, row + 2u * H, own.x.z);
  dgates_h[row_h] = own.h.x;
  dgates_h[row_h + H] = own.h.y;
  dgates_h[row_h + 2u * H] = own.h.z;
  dh[dh_prev] = acc + own.direct;
}
