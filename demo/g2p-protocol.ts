// The G2P tab's messages between the page and demo/g2p-engine.ts (in the same worker as the char LM's engine,
// sharing its WebGPU device). Every type starts with 'g2p-', which is how demo/engines.ts routes them.

export interface G2PDataSettings {
  /** Words trained on and held out for validation, drawn (seeded) from the bundled subset. */
  trainWords: number;
  validWords: number;
  /** Keep CMUdict's stress digits (AH0, AH1 …) or drop them (39 phonemes, as the literature's split). */
  stress: boolean;
  seed: number;
}

export interface G2PModelSettings {
  embedSize: number;
  hiddenSize: number;
  numLayers: number;
  attention: boolean;
}

export interface G2PTrainSettings {
  data: G2PDataSettings;
  model: G2PModelSettings;
  epochs: number;
  batchSize: number;
  lr: number;
  clip: number | undefined;
  /** Beams for the validation decodes (1 = greedy). */
  beamSize: number;
}

export interface G2PModelInfo extends G2PModelSettings {
  graphemes: number;
  phonemes: number;
  origin: string;
}

export interface G2PEpochPoint {
  x: number; // cumulative epochs
  loss: number; // mean training loss of the epoch's steps
  per: number;
  wer: number;
}

export interface G2PSample {
  word: string;
  hyp: string[];
  refs: string[][];
}

export type G2PRequest =
  /** The bundled words (the page imports them; the engine parses and keeps them, and compiles the kernels of warmUp). */
  | { type: 'g2p-data'; dict: Record<string, string>; warmUp: { model: G2PModelSettings; beamSize: number } | null }
  | { type: 'g2p-start'; settings: G2PTrainSettings }
  | { type: 'g2p-pause' }
  | { type: 'g2p-reset' }
  | { type: 'g2p-transcribe'; id: number; word: string; beamSize: number }
  | { type: 'g2p-save' }
  | { type: 'g2p-load'; name: string; bytes: ArrayBuffer };

export type G2PEvent =
  | { type: 'g2p-data'; info: string; bad: boolean }
  | { type: 'g2p-training'; epoch: number; target: number; batches: number; model: G2PModelInfo; split: string }
  | { type: 'g2p-progress'; step: number; batches: number }
  | { type: 'g2p-losses'; points: [x: number, loss: number][] }
  | { type: 'g2p-epoch'; point: G2PEpochPoint; seconds: number; epochsTrained: number; samples: G2PSample[] }
  | { type: 'g2p-stopped'; model: G2PModelInfo | null; runComplete: boolean; epochsTrained: number; error: string | null }
  | { type: 'g2p-saved'; bytes: ArrayBuffer; filename: string }
  | { type: 'g2p-save-failed'; message: string }
  | { type: 'g2p-loaded'; model: G2PModelInfo; message: string }
  | { type: 'g2p-load-failed'; message: string }
  | { type: 'g2p-reset-done' }
  /** A decode: the phonemes and, with attention, weights[t][s] of output t (phonemes, then eos) over the graphemes + eos. */
  | { type: 'g2p-transcribed'; id: number; word: string; graphemes: string[]; phonemes: string[]; weights: number[][] | null }
  | { type: 'g2p-transcribe-error'; id: number; message: string };

export function isG2PRequest(r: { type: string }): r is G2PRequest {
  return r.type.startsWith('g2p-');
}

export function isG2PEvent(e: { type: string }): e is G2PEvent {
  return e.type.startsWith('g2p-');
}
