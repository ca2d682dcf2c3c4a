// LSTM cell, one whole time step per dispatch (PyTorch nn.LSTM, gate order i, f, g, o; rows of W_hh are [i; f; g; o]):
//   i = σ(x_i + b_ii + W_hi h + b_hi)     f = σ(x_f + b_if + W_hf h + b_hf)
//   g = tanh(x_g + b_ig + W_hg h + b_hg)  o = σ(x_o + b_io + W_ho h + b_ho)
//   c' = f ⊙ c + i ⊙ g                    h' = o ⊙ tanh(c')            (h, c: the previous step's state)
// x_* = x_t·W_i*ᵀ comes precomputed for all steps (one matmul, or a gather for token ids).
// Backward, one dispatch per step, from dh = dout_t + dh_in and dc_in (both flowing back from step t+1):
//   dc = dh ⊙ o ⊙ (1 − tanh²(c')) + dc_in
//   di = dc ⊙ g ⊙ i(1 − i)   df = dc ⊙ c ⊙ f(1 − f)   dg = dc ⊙ i ⊙ (1 − g²)   do = dh ⊙ tanh(c') ⊙ o(1 − o)
//   dh_prev[k] = Σ_j dgates[j] · W_hh[j, k] over all 4H rows j      dc_prev = dc ⊙ f
// Each workgroup recomputes the gate gradients of its rows on the fly (a few loads per unit), so dh_prev
// needs no second dispatch. The weight gradients come after all steps, as matmuls over all T·B rows.
//
// Both entry points are tiled alike: a workgroup owns TB batch rows × TU hidden units and stages chunks of the
// reduction axis (h_{t-1} and W_hh forward; gate gradients and W_hh backward) in workgroup memory with coalesced
// loads, so W_hh is read once per workgroup rather than once per batch row.
// Both directions of a bidirectional layer run in one dispatch (workgroup z = direction d; recurrence.wgsl).
// dh/dc travel as one binding, and the cell states, gates and (h0, c0) as one buffer (`units`), which keeps
// every entry point within 8 storage buffers (WebGPU's default per-stage limit). `units` holds c [D, T, B, H]
// first, padded to whole vec4s, so its head is the plain cell-state sequence (cN of one direction at T = 1 is a
// view of it), then the gates (i, f, g, o) [D, T, B, H] as vec4s (one 16-byte load per unit), then h0 [D, B, P]
// and c0 [D, B, H] (zeros written by the first step when there are none: HAS_STATE0 false).
//
// Projection (PROJECTED, PyTorch's proj_size, LSTMP): the state h = W_hr·(o ⊙ tanh(c)) has P < H features, so
// W_hh is [4H, P]. The step kernel then only saves the gates and c; lstm_project_forward writes h, and backward
// runs lstm_project_backward first: dh_raw = W_hrᵀ·(dout_t + dh_t) feeds the step as its dh. Without projection
// P = H and h is o ⊙ tanh(c) itself.
//
// Variable lengths (HAS_LENGTHS): row b runs the steps t < len[b]. Past them forward writes zeros and backward
// passes (dh, dc) through unchanged; a step whose previous step lies past the row's end (the reverse direction's
// first) starts from (h0, c0). A workgroup whose rows have all ended returns at once.

// p: StepParams at binding 0, NO_STEP, step_of and prev_of come from recurrence.wgsl (appended).
// Forward
@group(0) @binding(1) var<storage, read> xproj: array<f32>;              // [T, B, 4H] direction 0's x·W_ihᵀ, no bias
@group(0) @binding(2) var<storage, read> xproj_rev: array<f32>;          // [T, B, 4H] direction 1's (D = 2)
@group(0) @binding(3) var<storage, read> w_hh: array<f32>;               // [D, 4H, P] (also backward)
// Bindings 4 and 5: the biases b_ih, b_hh [D, 4H] (D = 1) or the final states (D = 2): step_biases.wgsl, step_finals.wgsl.
@group(0) @binding(6) var<storage, read_write> out: array<f32>;          // [T, B, D·P] h at every step
@group(0) @binding(7) var<storage, read_write> units: array<vec4<f32>>;  // c (padded), gates, h0, c0: see above
// Backward
@group(0) @binding(8) var<storage, read> dout: array<f32>;               // [T, B, D·P] upstream gradient of out
@group(0) @binding(9) var<storage, read> ds_in: array<f32>;              // [2, D, B, H] dh_t (of o ⊙ tanh(c)) then dc_t
@group(0) @binding(10) var<storage, read_write> ds_out: array<f32>;      // dh_{t-1} [D, B, P] then dc_{t-1} [D, B, H]
@group(0) @binding(11) var<storage, read_write> dgates: array<f32>;      // [T, B, 4H] direction 0's gradient of the pre-activations
@group(0) @binding(12) var<storage, read_write> dgates_rev: array<f32>;  // [T, B, 4H] direction 1's (D = 2)
@group(0) @binding(13) var<storage, read> units_saved: array<vec4<f32>>; // forward's `units`
@group(0) @binding(14) var<storage, read> lengths: array<i32>;           // [B] steps per row (HAS_LENGTHS)
// Projection
// Projection (one direction per dispatch: D = 1)
@group(0) @binding(15) var<storage, read> w_hr: array<f32>;              // [P, H]
@group(0) @binding(16) var<storage, read> ds_proj: array<f32>;           // dh_t [B, P] then dc_t [B, H] from step t+1
@group(0) @binding(17) var<storage, read_write> ds_raw: array<f32>;      // [2, B, H] the step's ds_in
@group(0) @binding(18) var<storage, read_write> dproj: array<f32>;       // [T, B, P] dout_t + dh_t, for dW_hr
@group(0) @binding(19) var<storage, read_write> h_raw: array<f32>;       // [T, B, H] o ⊙ tanh(c), for dW_hr

override HAS_BIAS: bool = true;
override HAS_DOUT: bool = true;  // false: nothing downstream used `output`, only h_N / c_N
override HAS_LENGTHS: bool = false;
override PROJECTED: bool = false;
override HAS_STATE0: bool = true;  // false: h0 and c0 are zeros

const WG: u32 = 64u;
const TB: u32 = 8u;   // batch rows per workgroup
const TU: u32 = 8u;   // hidden units per workgroup (TB · TU = WG)
const KC: u32 = 64u;  // forward: reduction chunk over h_{t-1}
const UC: u32 = 32u;  // backward: reduction chunk over units (× 4 gates)

fn row_length(b: u32) -> u32 {
  if (HAS_LENGTHS) { return u32(lengths[b]); }
  return p.T;
}

fn row_active(d: u32, b: u32) -> bool {
  return step_of(d) < row_length(b);
}

// Whether rows [b0, b0 + TB) have a row still running at direction d's step (uniform across the workgroup).
fn tile_active(d: u32, b0: u32) -> bool {
  for (var r = 0u; r < TB; r++) {
    if (b0 + r < p.B && row_active(d, b0 + r)) { return true; }
  }
  return false;
}

// Where the gates start in `units`, in vec4s: after the c of all D·T·B·H units.
fn gates_base() -> u32 {
  return (p.D * p.T * p.B * p.H + 3u) / 4u;
}

// Index of direction d's unit (t, b, j) among the c (and the gates) in `units`.
fn unit_at(d: u32, t: u32, b: u32, j: u32) -> u32 {
  return ((d * p.T + t) * p.B + b) * p.H + j;
}

// Where (t, b, feature k) of direction d sits in out / dout.
fn out_at(d: u32, t: u32, b: u32, k: u32) -> u32 {
  return (t * p.B + b) * p.D * p.P + d * p.P + k;
}

// Where h0 [D, B, P] starts in `units`, as f32 words; c0 [D, B, H] follows.
fn h0_base() -> u32 {
  return 4u * (gates_base() + p.D * p.T * p.B * p.H);
}

fn c0_at(d: u32, b: u32, j: u32) -> u32 {
  return h0_base() + p.D * p.B * p.P + (d * p.B + b) * p.H + j;
}

fn saved_c(i: u32) -> f32 {
  return units_saved[i / 4u][i % 4u];
}

fn saved_gates(i: u32) -> vec4f {
  return units_saved[gates_base() + i];
}

// Whether row b's step starts from (h0, c0) rather than from the previous step's state.
fn starts_from_state0(d: u32, b: u32) -> bool {
  return prev_of(d) == NO_STEP || prev_of(d) >= row_length(b);
}

// ---- forward ----------------------------------------------------------------------------------------------

// Rows padded by one word so that threads reading different rows hit different banks.
var<workgroup> h_tile: array<f32, TB * (KC + 1u)>;       // [TB, KC] of h_{t-1}
var<workgroup> w_tile: array<f32, 4u * TU * (KC + 1u)>;  // [4, TU, KC] of W_hh

fn units_word(i: u32) -> f32 {
  return units[i / 4u][i % 4u];
}

fn h_prev(d: u32, b: u32, k: u32) -> f32 {
  if (starts_from_state0(d, b)) {
    if (HAS_STATE0) { return units_word(h0_base() + (d * p.B + b) * p.P + k); }
    return 0.0;
  }
  return out[out_at(d, prev_of(d), b, k)];
}

fn c_prev_fwd(d: u32, b: u32, j: u32) -> f32 {
  if (starts_from_state0(d, b)) {
    if (HAS_STATE0) { return units_word(c0_at(d, b, j)); }
    return 0.0;
  }
  return units_word(unit_at(d, prev_of(d), b, j));
}

fn write_unit(i: u32, gates: vec4f, c: f32) {
  units[i / 4u][i % 4u] = c;
  units[gates_base() + i] = gates;
}

// Zero (h0, c0) kept for backward, written at the first step (no thread of it reads them: they read 0.0).
fn write_zero_state0(d: u32, b: u32, j: u32) {
  if (HAS_STATE0 || prev_of(d) != NO_STEP) { return; }
  let c = c0_at(d, b, j);
  units[c / 4u][c % 4u] = 0.0;
  if (j < p.P) {
    let h = h0_base() + (d * p.B + b) * p.P + j;
    units[h / 4u][h % 4u] = 0.0;
  }
}

// A row past its end: zero output, and a zero record (nothing reads it; it keeps the buffer defined).
fn write_ended(d: u32, b: u32, j: u32) {
  let t = step_of(d);
  write_unit(unit_at(d, t, b, j), vec4f(0.0), 0.0);
  if (!PROJECTED && j < p.P) { out[out_at(d, t, b, j)] = 0.0; }
}

fn xproj_at(d: u32, i: u32) -> f32 {
  if (d == 0u) { return xproj[i]; }
  return xproj_rev[i];
}

// Workgroup (x, y) = units [x·TU, +TU) × rows [y·TB, +TB); thread (bb, jj) = one (b, j), all four gates.
@compute @workgroup_size(WG)
fn lstm_step_forward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let H = p.H;
  let P = p.P;
  let B = p.B;
  let d = wid.z;
  let j0 = wid.x * TU;
  let b0 = wid.y * TB;
  let jj = li % TU;
  let bb = li / TU;
  if (b0 + bb < B && j0 + jj < H) { write_zero_state0(d, b0 + bb, j0 + jj); }
  if (!tile_active(d, b0)) {
    if (b0 + bb < B && j0 + jj < H) { write_ended(d, b0 + bb, j0 + jj); }
    return;
  }
  let w0 = d * 4u * H * P;
  var acc = vec4f(0.0);
  for (var k0 = 0u; k0 < P; k0 += KC) {
    for (var e = li; e < TB * KC; e += WG) {
      let r = e / KC;
      let c = e % KC;
      var v = 0.0;
      if (b0 + r < B && k0 + c < P) { v = h_prev(d, b0 + r, k0 + c); }
      h_tile[r * (KC + 1u) + c] = v;
    }
    for (var e = li; e < 4u * TU * KC; e += WG) {
      let r = e / KC;  // gate · TU + unit
      let c = e % KC;
      let j = j0 + r % TU;
      var v = 0.0;
      if (j < H && k0 + c < P) { v = w_hh[w0 + ((r / TU) * H + j) * P + k0 + c]; }
      w_tile[r * (KC + 1u) + c] = v;
    }
    workgroupBarrier();
    let hr = bb * (KC + 1u);
    let wr = jj * (KC + 1u);
    let gs = TU * (KC + 1u);  // stride between gates in w_tile
    for (var c = 0u; c < KC; c++) {
      let h = h_tile[hr + c];
      let w = vec4f(w_tile[wr + c], w_tile[gs + wr + c], w_tile[2u * gs + wr + c], w_tile[3u * gs + wr + c]);
      acc = fma(vec4f(h), w, acc);
    }
    workgroupBarrier();
  }

  let b = b0 + bb;
  let j = j0 + jj;
  if (b >= B || j >= H) { return; }
  if (!row_active(d, b)) {
    write_ended(d, b, j);
    return;
  }
  let t = step_of(d);
  let xo = (t * B + b) * 4u * H + j;
  var pre = acc + vec4f(xproj_at(d, xo), xproj_at(d, xo + H), xproj_at(d, xo + 2u * H), xproj_at(d, xo + 3u * H));
  if (HAS_BIAS) {
    let bd = d * 4u * H + j;
    pre += vec4f(bias_ih(bd), bias_ih(bd + H), bias_ih(bd + 2u * H), bias_ih(bd + 3u * H));
    pre += vec4f(bias_hh(bd), bias_hh(bd + H), bias_hh(bd + 2u * H), bias_hh(bd + 3u * H));
  }
  let gt = vec4f(safe_sigmoid(pre.x), safe_sigmoid(pre.y), safe_tanh(pre.z), safe_sigmoid(pre.w));
  let c = gt.y * c_prev_fwd(d, b, j) + gt.x * gt.z;
  if (!PROJECTED) {
    let h = gt.w * safe_tanh(c);
    out[out_at(d, t, b, j)] = h;
    keep_final_h(d, b, j, h);
  }
  keep_final_c(d, b, j, c);
  write_unit(unit_at(d, t, b, j), gt, c);
}

// Projection: h_t[b, q] = Σ_j W_hr[q, j] · o_j ⊙ tanh(c_j) (zero past the row's end). Thread = one (b, q),
// spilling into y beyond the per-dimension limit (as the next two).
@compute @workgroup_size(WG)
fn lstm_project_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = gid.x + gid.y * groups.x * WG;  // b * P + q
  if (idx >= p.B * p.P) { return; }
  let b = idx / p.P;
  let q = idx % p.P;
  var acc = 0.0;
  if (row_active(0u, b)) {
    let u0 = (p.t * p.B + b) * p.H;
    for (var j = 0u; j < p.H; j++) {
      let i = u0 + j;
      acc = fma(w_hr[q * p.H + j], units[gates_base() + i].w * safe_tanh(units[i / 4u][i % 4u]), acc);
    }
  }
  out[p.t * p.B * p.P + idx] = acc;
}

// ---- backward ---------------------------------------------------------------------------------------------

var<workgroup> dg_tile: array<vec4<f32>, TB * (UC + 1u)>;  // [TB, UC] of (di, df, dg, do)
var<workgroup> wb_tile: array<f32, 4u * UC * TU>;          // [4, UC, TU] of W_hh

struct CellGrad {
  d: vec4f,  // (di, df, dg, do): gradient of the four pre-activations
  dc: f32,   // gradient of c_t (from h_t and from step t+1)
  f: f32,
}

// Gradients of direction d's unit u in row b at its step t (zero for a row past its end).
fn cell_grad(d: u32, b: u32, u: u32) -> CellGrad {
  if (!row_active(d, b)) { return CellGrad(vec4f(0.0), 0.0, 0.0); }
  let n = p.D * p.B * p.H;
  let s = (d * p.B + b) * p.H + u;
  let t = step_of(d);
  let o = unit_at(d, t, b, u);
  var dh = ds_in[s];
  if (HAS_DOUT) { dh += dout[out_at(d, t, b, u)]; }  // without projection P = H
  let gt = saved_gates(o);
  let tc = safe_tanh(saved_c(o));
  var cp: f32;
  if (starts_from_state0(d, b)) { cp = saved_c(c0_at(d, b, u)); } else { cp = saved_c(unit_at(d, prev_of(d), b, u)); }
  let dc = dh * gt.w * (1.0 - tc * tc) + ds_in[n + s];
  let dg = vec4f(
    dc * gt.z * gt.x * (1.0 - gt.x),
    dc * cp * gt.y * (1.0 - gt.y),
    dc * gt.x * (1.0 - gt.z * gt.z),
    dh * tc * gt.w * (1.0 - gt.w),
  );
  return CellGrad(dg, dc, gt.y);
}

// A row past its end: no gate gradients, (dh, dc) passed through (with projection lstm_project_backward passes
// them, in the projected width).
fn write_ended_grad(d: u32, b: u32, k: u32) {
  let go = (step_of(d) * p.B + b) * 4u * p.H + k;
  for (var g = 0u; g < 4u; g++) { write_dgates(d, go + g * p.H, 0.0); }
  if (!PROJECTED) {
    let n = p.D * p.B * p.H;
    let s = (d * p.B + b) * p.H + k;
    ds_out[s] = ds_in[s];
    ds_out[n + s] = ds_in[n + s];
  }
}

fn write_dgates(d: u32, i: u32, v: f32) {
  if (d == 0u) { dgates[i] = v; } else { dgates_rev[i] = v; }
}

// Workgroup (x, y) = columns k in [x·TU, +TU) × rows [y·TB, +TB); thread (bb, kk) reduces dh_{t-1}[b, k] over
// all 4H gate rows (columns k < P of W_hh), then writes the gate gradients and dc_{t-1} of its own unit k.
@compute @workgroup_size(WG)
fn lstm_step_backward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32) {
  let H = p.H;
  let P = p.P;
  let B = p.B;
  let d = wid.z;
  let k0 = wid.x * TU;
  let b0 = wid.y * TB;
  let kk = li % TU;
  let bb = li / TU;
  if (!tile_active(d, b0)) {
    if (b0 + bb < B && k0 + kk < H) { write_ended_grad(d, b0 + bb, k0 + kk); }
    return;
  }
  let w0 = d * 4u * H * P;
  var acc = 0.0;
  for (var u0 = 0u; u0 < H; u0 += UC) {
    for (var e = li; e < TB * UC; e += WG) {
      let r = e / UC;
      let c = e % UC;
      var g = vec4f(0.0);
      if (b0 + r < B && u0 + c < H) { g = cell_grad(d, b0 + r, u0 + c).d; }
      dg_tile[r * (UC + 1u) + c] = g;
    }
    for (var e = li; e < 4u * UC * TU; e += WG) {
      let col = e % TU;
      let r = e / TU;  // gate · UC + unit
      let u = u0 + r % UC;
      var v = 0.0;
      if (u < H && k0 + col < P) { v = w_hh[w0 + ((r / UC) * H + u) * P + k0 + col]; }
      wb_tile[e] = v;
    }
    workgroupBarrier();
    let dr = bb * (UC + 1u);
    let gs = UC * TU;  // stride between gates in wb_tile
    for (var c = 0u; c < UC; c++) {
      let g = dg_tile[dr + c];
      let w = c * TU + kk;
      acc = fma(g.x, wb_tile[w], acc);
      acc = fma(g.y, wb_tile[gs + w], acc);
      acc = fma(g.z, wb_tile[2u * gs + w], acc);
      acc = fma(g.w, wb_tile[3u * gs + w], acc);
    }
    workgroupBarrier();
  }

  let b = b0 + bb;
  let k = k0 + kk;
  if (b >= B || k >= H) { return; }
  if (!row_active(d, b)) {
    write_ended_grad(d, b, k);
    return;
  }
  let g = cell_grad(d, b, k);
  let go = (step_of(d) * B + b) * 4u * H + k;
  write_dgates(d, go, g.d.x);
  write_dgates(d, go + H, g.d.y);
  write_dgates(d, go + 2u * H, g.d.z);
  write_dgates(d, go + 3u * H, g.d.w);
  if (k < P) { ds_out[(d * B + b) * P + k] = acc; }
  ds_out[p.D * B * P + (d * B + b) * H + k] = g.dc * g.f;
}

// Projection, before each backward step: dproj = dout_t + dh_t (projected width P), the step's
// ds_raw = (W_hrᵀ·dproj, dc_t), and dproj saved for dW_hr. Rows past their end pass (dh, dc) straight to ds_out.
// Thread = one (b, u), u < H.
@compute @workgroup_size(WG)
fn lstm_project_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = gid.x + gid.y * groups.x * WG;  // b * H + u
  if (idx >= p.B * p.H) { return; }
  let H = p.H;
  let P = p.P;
  let b = idx / H;
  let u = idx % H;
  let c_at = p.B * P + idx;  // dc of (b, u) in ds_proj / ds_out
  let tp = (p.t * p.B + b) * P;
  if (!row_active(0u, b)) {
    if (u < P) {
      ds_out[b * P + u] = ds_proj[b * P + u];
      dproj[tp + u] = 0.0;
    }
    ds_out[c_at] = ds_proj[c_at];
    return;
  }
  var acc = 0.0;
  for (var q = 0u; q < P; q++) {
    var d = ds_proj[b * P + q];
    if (HAS_DOUT) { d += dout[tp + q]; }
    acc = fma(d, w_hr[q * H + u], acc);
  }
  if (u < P) {
    var d = ds_proj[b * P + u];
    if (HAS_DOUT) { d += dout[tp + u]; }
    dproj[tp + u] = d;
  }
  ds_raw[idx] = acc;
  ds_raw[p.B * H + idx] = ds_proj[c_at];
}

// Projection, after the backward steps: h_raw = o ⊙ tanh(c) at every step (zero past a row's end), the right
// factor of dW_hr = dprojᵀ·h_raw. Thread = one (t, b, j), spilling into y beyond the per-dimension limit.
@compute @workgroup_size(WG)
fn lstm_hidden_raw(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let idx = gid.x + gid.y * groups.x * WG;
  if (idx >= p.T * p.B * p.H) { return; }
  h_raw[idx] = saved_gates(idx).w * safe_tanh(saved_c(idx));
}
