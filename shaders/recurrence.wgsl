// Shared by the fused cells (rnn_cell, gru_cell, lstm_cell): appended to their files when the module is made.
// TypeScript reads NO_STEP from here (ops/recurrence.ts).

const NO_STEP: u32 = 0xffffffffu;  // t_prev at the first processed step: read the initial state instead
