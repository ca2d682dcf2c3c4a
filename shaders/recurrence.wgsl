// Shared by the fused cells (rnn_cell, gru_cell, lstm_cell): appended to their files when the module is made.
// TypeScript reads NO_STEP from here (ops/recurrence.ts) and fills StepParams in forwardSteps / backwardSteps.
//
// One dispatch runs one step of D directions (the workgroup grid's z picks the direction d): D = 1 for a
// unidirectional layer (or one direction on its own), D = 2 for both directions of a bidirectional layer, whose
// direction 1 runs backwards in time, so one dispatch does step t of direction 0 and step T-1-t of direction 1.
// Per-direction data is stacked by direction: W_hh [D, G·H, P], biases [D, G·H], states [D, B, ·]; the output is
// [T, B, D·P] with direction d in columns [d·P, (d+1)·P) (PyTorch's bidirectional layout, so no concatenation).

const NO_STEP: u32 = 0xffffffffu;  // t_prev at the first processed step: read the initial state instead

struct StepParams {
  T: u32,
  B: u32,
  H: u32,           // hidden units
  P: u32,           // features of h: LSTM's proj_size, else H
  D: u32,           // directions in this dispatch
  t: u32,           // direction 0: time index of this step
  t_prev: u32,      // direction 0: time index of the previous step, or NO_STEP at its first step
  t_rev: u32,       // direction 1 (D = 2): the same
  t_prev_rev: u32,
  b_ih_at: u32,     // where the biases start in their bindings (0; with D = 2 they share one packed buffer with
  b_hh_at: u32,     // W_hh: [W_hh (D) | b_ih (D) | b_hh (D)])
  phase: u32,       // backward: which half of a two-half state-gradient buffer this step reads (GRU)
  state_at: u32,    // forward, D = 2: this op's first row in the stacked final states (step_finals.wgsl)
  ds_at: u32,       // backward: where the incoming state gradient starts in its binding (RNN: this op's rows of
                    // a stacked dh_N, read in place at the first step; else 0)
}

@group(0) @binding(0) var<uniform> p: StepParams;

// Time index of direction d's step in this dispatch, and of the step it continues from.
fn step_of(d: u32) -> u32 {
  if (d == 0u) { return p.t; }
  return p.t_rev;
}

fn prev_of(d: u32) -> u32 {
  if (d == 0u) { return p.t_prev; }
  return p.t_prev_rev;
}
