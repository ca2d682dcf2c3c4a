// The biases of a cell's forward step (rnn_cell, gru_cell, lstm_cell) when it runs one direction per dispatch
// (D = 1; also LSTM projections): b_ih and b_hh are the direction's own tensors at bindings 4 and 5, and the final
// states are gathered after the steps (lengths.wgsl). Appended by ops/recurrence.ts cellSource; the variant for
// both directions is step_finals.wgsl. p: StepParams comes from recurrence.wgsl.

@group(0) @binding(4) var<storage, read> b_ih: array<f32>;  // [G·H] from p.b_ih_at
@group(0) @binding(5) var<storage, read> b_hh: array<f32>;  // [G·H] from p.b_hh_at

fn bias_ih(i: u32) -> f32 {
  return b_ih[p.b_ih_at + i];
}

fn bias_hh(i: u32) -> f32 {
  return b_hh[p.b_hh_at + i];
}

// The final states come from a gather after the steps.
fn keep_final_h(d: u32, b: u32, k: u32, h: f32) {}
fn keep_final_c(d: u32, b: u32, j: u32, c: f32) {}
