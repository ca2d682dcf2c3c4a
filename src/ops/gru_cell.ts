import type { SequenceArgs, SequenceResult } from './recurrence.js';
// Placeholder until the fused GRU cell lands (being written now).
export function gruSequence(_args: SequenceArgs): SequenceResult {
  throw new Error('GRU cell: pending');
}
