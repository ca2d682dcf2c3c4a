// The biases and final states of a cell's forward step (rnn_cell, gru_cell, lstm_cell) when it runs both
// directions of a bidirectional layer in one dispatch (D = 2): the biases sit behind W_hh in the packed binding
// (directions.wgsl), which frees bindings 4 and 5 for the final states, so each row's last step writes its h (and
// c) straight into its rows of h_N / c_N (the [S, B, ·] stack of all layers' states, rows p.state_at + d) and no
// gather follows the steps. Appended by ops/recurrence.ts foldedCellSource; the one-direction variant is
// step_biases.wgsl. p, step_of and row_length (each cell's own) come from the files this is appended to.

@group(0) @binding(4) var<storage, read_write> final_h: array<f32>;  // [S, B, P] rows [state_at, state_at + D)
@group(0) @binding(5) var<storage, read_write> final_c: array<f32>;  // [S, B, H] (LSTM)

fn bias_ih(i: u32) -> f32 {
  return w_hh[p.b_ih_at + i];
}

fn bias_hh(i: u32) -> f32 {
  return w_hh[p.b_hh_at + i];
}

// Direction 0 ends row b at step len[b] − 1 (T − 1 without lengths); direction 1, which runs backwards, at step 0.
fn is_final_step(d: u32, b: u32) -> bool {
  if (d == 1u) { return step_of(d) == 0u; }
  return step_of(d) + 1u == row_length(b);
}

fn keep_final_h(d: u32, b: u32, k: u32, h: f32) {
  if (is_final_step(d, b)) { final_h[((p.state_at + d) * p.B + b) * p.P + k] = h; }
}

fn keep_final_c(d: u32, b: u32, j: u32, c: f32) {
  if (is_final_step(d, b)) { final_c[((p.state_at + d) * p.B + b) * p.H + j] = c; }
}
