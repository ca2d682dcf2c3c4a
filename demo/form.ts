// Reading the form (every field checked, the first bad one focused and named) and the starting configuration
// sized to the adapter.
import { el, fmtInt } from './dom.js';
import { FORM_BOUNDS } from './limits.js';
import type { CellMode, GenerateSettings, SampleSettings, TrainSettings } from './protocol.js';
import { splitPrefixes } from './corpus.js';

export function readInt(input: HTMLInputElement, name: string, [min, max]: readonly [number, number]): number {
  const v = Number(input.value);
  if (input.value.trim() === '' || !Number.isInteger(v) || v < min || v > max) {
    input.focus();
    throw new Error(`${name} must be a whole number from ${fmtInt.format(min)} to ${fmtInt.format(max)} (got "${input.value}")`);
  }
  return v;
}

export function readPositive(input: HTMLInputElement, name: string): number {
  const v = Number(input.value);
  if (input.value.trim() === '' || !Number.isFinite(v) || v <= 0) {
    input.focus();
    throw new Error(`${name} must be a positive number (got "${input.value}")`);
  }
  return v;
}

/** A positive number, or undefined when the field is empty or 0 (the setting is off). */
export function readOptionalPositive(input: HTMLInputElement, name: string): number | undefined {
  const text = input.value.trim();
  return text === '' || Number(text) === 0 ? undefined : readPositive(input, name);
}

export function readSettings(): TrainSettings {
  const clipTheta = readOptionalPositive(el.clip, 'Clip norm');
  return {
    cell: el.cell.value as CellMode,
    numLayers: readInt(el.layers, 'Layers', FORM_BOUNDS.numLayers),
    hiddenSize: readInt(el.hidden, 'Hidden size', FORM_BOUNDS.hiddenSize),
    epochs: readInt(el.epochs, 'Epochs', FORM_BOUNDS.epochs),
    numSteps: readInt(el.steps, 'Steps', FORM_BOUNDS.numSteps),
    batchSize: readInt(el.batch, 'Batch', FORM_BOUNDS.batchSize),
    optimizer: el.optimizer.value as 'sgd' | 'adam',
    lr: readPositive(el.lr, 'Learning rate'),
    clipTheta,
    sampling: el.sampling.value as TrainSettings['sampling'],
  };
}

export function readSampleSettings(): SampleSettings {
  const length = Number(el.sampleLength.value);
  return { prefixes: splitPrefixes(el.prefixes.value), length: Number.isInteger(length) && length > 0 && length <= 1000 ? length : 50 };
}

export function readMaxChars(): number {
  return readInt(el.maxChars, 'Max characters', [0, 1e9]);
}

export function readGenerateSettings(): GenerateSettings {
  const prefix = el.genPrefix.value;
  if (prefix.length === 0) throw new Error('Type a prefix to start the generation from');
  const length = readInt(el.genLength, 'Length', [1, 5000]);
  const tText = el.genTemperature.value.trim();
  const temperature = tText === '' ? 0 : Number(tText);
  if (!Number.isFinite(temperature) || temperature < 0) throw new Error(`Temperature must be 0 (greedy) or more (got "${tText}")`);
  const topK = el.genTopK.value.trim() === '' ? 0 : readInt(el.genTopK, 'Top-k', [0, 1_000_000]);
  const pText = el.genTopP.value.trim();
  const topP = pText === '' ? 1 : Number(pText);
  if (!(topP > 0 && topP <= 1)) throw new Error(`Top-p must be above 0 and at most 1 (1 = off; got "${pText}")`);
  const seed = readInt(el.genSeed, 'Seed', [0, 2 ** 31 - 1]);
  return { prefix, length, temperature, topK, topP, seed };
}

/**
 * The form's starting point. The textbook's (GRU, hidden 256, batch 32, 35 steps, 10,000 characters) takes about
 * 80 s per epoch on SwiftShader; this one finishes its first epoch in a few seconds there (demo/measure.mjs).
 */
export const SOFTWARE_DEFAULTS = { hidden: 64, batch: 16, steps: 16, maxChars: 3000 } as const;
const TEXTBOOK = { hidden: 256, batch: 32, steps: 35, maxChars: 10000 } as const;

/** Sets the form for the adapter and returns the sentence that says so (null on a real GPU). */
export function applyAdapterDefaults(software: boolean): string | null {
  const d = software ? SOFTWARE_DEFAULTS : TEXTBOOK;
  el.hidden.value = String(d.hidden);
  el.batch.value = String(d.batch);
  el.steps.value = String(d.steps);
  el.maxChars.value = String(d.maxChars);
  if (!software) return null;
  return (
    `This adapter is a software renderer (no GPU), so the form starts small: hidden size ${d.hidden}, batch ${d.batch}, ` +
    `${d.steps} steps, the first ${fmtInt.format(d.maxChars)} characters, so that an epoch takes seconds rather than the ` +
    `textbook's ~80 s (hidden ${TEXTBOOK.hidden}, batch ${TEXTBOOK.batch}, ${TEXTBOOK.steps} steps, ${fmtInt.format(TEXTBOOK.maxChars)} characters). ` +
    'Raise them freely.'
  );
}
