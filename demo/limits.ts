// Checks a configuration against the adapter's limits before anything is allocated, so that a too-large
// setting gets a sentence on the page rather than a GPU validation error halfway through an epoch.

export interface SizeConfig {
  cell: 'rnn' | 'gru' | 'lstm';
  hiddenSize: number;
  numLayers: number;
  vocabSize: number;
  batchSize: number;
  numSteps: number;
}

const GATES = { rnn: 1, gru: 3, lstm: 4 } as const;

function mib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** The largest buffers a training step allocates, by what they hold. */
export function largestBuffers(c: SizeConfig): { what: string; bytes: number }[] {
  const G = GATES[c.cell];
  const H = c.hiddenSize;
  const V = c.vocabSize;
  const TB = c.numSteps * c.batchSize;
  return [
    { what: `rnn.weight_ih_l0 [${G * H}, ${V}] (gates × hidden × vocabulary)`, bytes: 4 * G * H * V },
    { what: `rnn.weight_hh [${G * H}, ${H}]`, bytes: 4 * G * H * H },
    { what: `dense.weight [${V}, ${H}]`, bytes: 4 * V * H },
    { what: `the logits of a batch [steps·batch = ${TB}, ${V}]`, bytes: 4 * TB * V },
    { what: `the gate pre-activations of a batch [${c.numSteps}, ${c.batchSize}, ${G * H}]`, bytes: 4 * TB * G * H },
  ];
}

/** A message when the configuration cannot run on this adapter, else null. */
export function checkLimits(c: SizeConfig, limits: GPUSupportedLimits): string | null {
  const maxBinding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const worst = largestBuffers(c).sort((a, b) => b.bytes - a.bytes)[0]!;
  if (worst.bytes > maxBinding) {
    const limitName = limits.maxStorageBufferBindingSize <= limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
    return (
      `this configuration needs a ${mib(worst.bytes)} buffer for ${worst.what}, over this adapter's ` +
      `${limitName} of ${mib(maxBinding)}: lower the hidden size, batch size or steps (or maxChars, for a smaller vocabulary)`
    );
  }
  return null;
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
