// Checks a configuration against the adapter's limits before anything is allocated, so that a too-large
// setting gets a sentence on the page rather than a GPU validation error halfway through an epoch.

import * as wr from '../src/index.js';

export interface SizeConfig {
  cell: 'rnn' | 'gru' | 'lstm';
  hiddenSize: number;
  numLayers: number;
  vocabSize: number;
  batchSize: number;
  numSteps: number;
}

/**
 * A message when the configuration cannot run on this adapter, else null. The library's one size check
 * (wr.checkAllocation) decides, over the largest buffers a training step allocates.
 */
export function checkLimits(c: SizeConfig, ctx: wr.Context): string | null {
  const G = wr.nn.CELLS[c.cell].gates;
  const H = c.hiddenSize;
  const V = c.vocabSize;
  const TB = c.numSteps * c.batchSize;
  const buffers: wr.Allocation[] = [
    [`rnn.weight_ih_l0 [${G * H}, ${V}] (gates × hidden × vocabulary)`, G * H * V],
    [`rnn.weight_hh [${G * H}, ${H}]`, G * H * H],
    [`dense.weight [${V}, ${H}]`, V * H],
    [`the logits of a batch [steps·batch = ${TB}, ${V}]`, TB * V],
    [`the gate pre-activations of a batch [${c.numSteps}, ${c.batchSize}, ${G * H}]`, TB * G * H],
  ];
  try {
    wr.checkAllocation(ctx, 'this configuration', buffers, 'the hidden size, batch size or steps (or maxChars, for a smaller vocabulary)');
    return null;
  } catch (e) {
    if (e instanceof RangeError) return e.message;
    throw e;
  }
}

import { CHECKPOINT_LIMITS } from '../src/lm/checkpoint.js';

/** Sanity bounds for the form (beyond them the page would freeze long before a limit is hit); the model's are
 *  those a model file may declare. */
export const FORM_BOUNDS = {
  hiddenSize: [1, CHECKPOINT_LIMITS.hiddenSize],
  numLayers: [1, CHECKPOINT_LIMITS.numLayers],
  batchSize: [1, 4096],
  numSteps: [1, 2048],
  epochs: [1, 100000],
} as const;
