// The G2P tab's form: every field checked (the first bad one focused and named), and the starting sizes for the
// adapter: on a software renderer, a model small enough that the loss falls within seconds and the first
// validation PER comes within about half a minute. Word counts beyond the bundled words are the engine's to refuse.
import { fmtInt } from './dom.js';
import { readInt, readOptionalPositive, readPositive } from './form.js';
import { g2pEl as el } from './g2p-dom.js';
import type { G2PTrainSettings } from './g2p-protocol.js';

export function readBeam(): number {
  return readInt(el.beam, 'Beam', [1, 16]);
}

export function readG2PSettings(): G2PTrainSettings {
  return {
    data: {
      trainWords: readInt(el.trainWords, 'Training words', [1, 1_000_000]),
      validWords: readInt(el.validWords, 'Validation words', [1, 1_000_000]),
      stress: el.stress.value === 'yes',
      seed: readInt(el.seed, 'Seed', [0, 2 ** 31 - 1]),
    },
    model: {
      attention: el.attention.value === 'yes',
      numLayers: readInt(el.layers, 'Layers', [1, 8]),
      embedSize: readInt(el.embed, 'Embedding', [1, 2048]),
      hiddenSize: readInt(el.hidden, 'Hidden size', [1, 2048]),
    },
    epochs: readInt(el.epochs, 'Epochs', [1, 100000]),
    batchSize: readInt(el.batch, 'Batch', [1, 4096]),
    lr: readPositive(el.lr, 'Learning rate'),
    clip: readOptionalPositive(el.clip, 'Clip norm'),
    beamSize: readBeam(),
  };
}

/** Measured with demo/measure.mjs --tab g2p on SwiftShader: see the README. */
export const G2P_SOFTWARE_DEFAULTS = { trainWords: 600, validWords: 100, embed: 32, hidden: 64, batch: 32, lr: 0.02, beam: 2 } as const;
const G2P_GPU_DEFAULTS = { trainWords: 4000, validWords: 500, embed: 64, hidden: 256, batch: 64, lr: 0.005, beam: 4 } as const;

/** Sets the form for the adapter and returns the sentence that says so (null on a real GPU). */
export function applyG2PAdapterDefaults(software: boolean): string | null {
  const d = software ? G2P_SOFTWARE_DEFAULTS : G2P_GPU_DEFAULTS;
  el.trainWords.value = String(d.trainWords);
  el.validWords.value = String(d.validWords);
  el.embed.value = String(d.embed);
  el.hidden.value = String(d.hidden);
  el.batch.value = String(d.batch);
  el.lr.value = String(d.lr);
  el.beam.value = String(d.beam);
  if (!software) return null;
  const g = G2P_GPU_DEFAULTS;
  return (
    `A software renderer (no GPU): the form starts small (${fmtInt.format(d.trainWords)} training and ${d.validWords} validation words, ` +
    `embedding ${d.embed}, hidden size ${d.hidden}, batch ${d.batch}, learning rate ${d.lr}) so that the loss falls within seconds; ` +
    `on a GPU it starts at ${fmtInt.format(g.trainWords)} words, hidden size ${g.hidden}. Raise them freely.`
  );
}
