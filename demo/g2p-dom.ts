// The G2P tab's elements (by id, checked at start-up).

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`demo: #${id} is missing from index.html`);
  return found as T;
}

export const g2pEl = {
  tabLm: $<HTMLButtonElement>('tab-lm'),
  tabG2p: $<HTMLButtonElement>('tab-g2p'),
  lmPanel: $('lm-panel'),
  panel: $('g2p-panel'),
  dataInfo: $('g2p-data-info'),
  trainWords: $<HTMLInputElement>('g2p-train-words'),
  validWords: $<HTMLInputElement>('g2p-valid-words'),
  stress: $<HTMLSelectElement>('g2p-stress'),
  seed: $<HTMLInputElement>('g2p-seed'),
  attention: $<HTMLSelectElement>('g2p-attention'),
  layers: $<HTMLInputElement>('g2p-layers'),
  embed: $<HTMLInputElement>('g2p-embed'),
  hidden: $<HTMLInputElement>('g2p-hidden'),
  archHint: $('g2p-arch-hint'),
  epochs: $<HTMLInputElement>('g2p-epochs'),
  batch: $<HTMLInputElement>('g2p-batch'),
  lr: $<HTMLInputElement>('g2p-lr'),
  clip: $<HTMLInputElement>('g2p-clip'),
  start: $<HTMLButtonElement>('g2p-start'),
  pause: $<HTMLButtonElement>('g2p-pause'),
  reset: $<HTMLButtonElement>('g2p-reset'),
  save: $<HTMLButtonElement>('g2p-save'),
  loadFile: $<HTMLInputElement>('g2p-load-file'),
  loadLabel: $('g2p-load-label'),
  sizingNote: $('g2p-sizing-note'),
  epoch: $('g2p-epoch'),
  per: $('g2p-per'),
  wer: $('g2p-wer'),
  elapsed: $('g2p-elapsed'),
  progress: $('g2p-progress-bar'),
  status: $('g2p-status'),
  word: $<HTMLInputElement>('g2p-word'),
  beam: $<HTMLInputElement>('g2p-beam'),
  transcribe: $<HTMLButtonElement>('g2p-transcribe'),
  output: $('g2p-output'),
  heatmap: $<HTMLCanvasElement>('g2p-heatmap'),
  heatmapNote: $('g2p-heatmap-note'),
  chart: $('g2p-chart'),
  lossChart: $('g2p-loss-chart'),
  epochLog: $('g2p-epoch-log'),
  samples: $('g2p-samples'),
};

export const fmtPercent = (x: number): string => `${(100 * x).toFixed(1)}%`;
