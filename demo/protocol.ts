// The messages between the page and the training engine (demo/engine.ts), which runs in a Web Worker (or, where
// workers have no WebGPU, on the page). Everything here is structured-cloneable; byte payloads are transferred.
import type { CorpusMode } from './corpus.js';

export type CellMode = 'rnn' | 'gru' | 'lstm';

export interface TrainSettings {
  cell: CellMode;
  numLayers: number;
  hiddenSize: number;
  epochs: number;
  numSteps: number;
  batchSize: number;
  optimizer: 'sgd' | 'adam';
  lr: number;
  clipTheta: number | undefined;
  sampling: 'random' | 'consecutive' | 'sequential';
}

export interface SampleSettings {
  prefixes: string[];
  length: number;
}

export interface GenerateSettings {
  prefix: string;
  length: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

/** The model the engine holds, as the page describes it. */
export interface ModelInfo {
  cell: CellMode;
  numLayers: number;
  hiddenSize: number;
  vocabSize: number;
  origin: string; // "trained on …", "loaded from …"
}

export interface EpochPoint {
  x: number; // cumulative epochs (fractional after a pause mid-epoch)
  perplexity: number;
  tokensPerSecond: number;
}

export type Request =
  /** Start WebGPU; with warmUp, first compile the kernels a run of those settings uses (see Engine.warmUp). */
  | { type: 'init'; warmUp?: TrainSettings }
  /** Decode a text (bytes given) or reuse the last one of this id (or the user's file, id 'file') and split it. */
  | { type: 'corpus'; id: string; name: string; bytes?: ArrayBuffer; mode: CorpusMode; maxChars: number }
  /** A file the user chose: checked and kept as id 'file' when it is text. */
  | { type: 'corpus-file'; name: string; bytes: ArrayBuffer }
  | { type: 'start'; settings: TrainSettings; samples: SampleSettings }
  | { type: 'pause' }
  | { type: 'reset' }
  | { type: 'samples'; samples: SampleSettings }
  | { type: 'generate'; id: number; settings: GenerateSettings }
  | { type: 'save' }
  | { type: 'load'; name: string; bytes: ArrayBuffer };

export type EngineEvent =
  | { type: 'ready'; adapter: string; software: boolean }
  | { type: 'unavailable'; message: string; noWebGPU: boolean }
  | { type: 'corpus'; id: string; info: string; bad: boolean }
  | { type: 'corpus-file'; name: string; chars: number; prefixes: string }
  | { type: 'corpus-file-error'; message: string }
  | { type: 'training'; epoch: number; target: number; batches: number; model: ModelInfo }
  | { type: 'progress'; step: number; batches: number }
  | { type: 'losses'; points: [x: number, loss: number][] }
  | { type: 'epoch'; point: EpochPoint; seconds: number; epochsTrained: number }
  | { type: 'samples'; items: { prefix: string; text: string | null; error: string | null }[] }
  | { type: 'stopped'; model: ModelInfo | null; runComplete: boolean; epochsTrained: number; error: string | null; cleared: boolean }
  | { type: 'saved'; bytes: ArrayBuffer; filename: string }
  | { type: 'save-failed'; message: string }
  | { type: 'loaded'; model: ModelInfo; message: string; epochsTrained: number }
  | { type: 'load-failed'; message: string }
  | { type: 'reset-done' }
  | { type: 'gen-text'; id: number; piece: string }
  | { type: 'gen-done'; id: number; text: string }
  | { type: 'gen-error'; id: number; message: string }
  | { type: 'error'; message: string };
