import type { SequenceArgs, SequenceResult } from './recurrence.js';
// Placeholder until the fused LSTM cell lands (being written now).
export function lstmSequence(_args: SequenceArgs): SequenceResult {
  throw new Error('LSTM cell: pending');
}
