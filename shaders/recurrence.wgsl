// Shared by the fused cells (rnn_cell, gru_cell, lstm_cell): appended to their files when the module is made.
// TypeScript reads NO_STEP from here (ops/recurrence.ts) and fills StepParams in forwardSteps / backwardSteps.

const NO_STEP: u32 = 0xffffffffu;  // t_prev at the first processed step: read the initial state instead

struct StepParams {
  T: u32,
  B: u32,
  H: u32,       // hidden units
  P: u32,       // features of h: LSTM's proj_size, else H
  t: u32,       // time index of this step
  t_prev: u32,  // time index of the previous step, or NO_STEP at the first step (read the initial state)
}

@group(0) @binding(0) var<uniform> p: StepParams;
