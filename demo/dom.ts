// The page's elements (by id, checked at start-up), its message box, number formatting and the file download.

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`demo: #${id} is missing from index.html`);
  return found as T;
}

export const el = {
  adapter: $('adapter'),
  noWebGPU: $('no-webgpu'),
  engineNote: $('engine-note'),
  sizingNote: $('sizing-note'),
  message: $('message'),
  messageText: $('message-text'),
  messageClose: $<HTMLButtonElement>('message-close'),
  corpus: $<HTMLSelectElement>('corpus'),
  corpusFile: $<HTMLInputElement>('corpus-file'),
  drop: $('drop'),
  maxChars: $<HTMLInputElement>('max-chars'),
  mode: $<HTMLSelectElement>('mode'),
  corpusInfo: $('corpus-info'),
  cell: $<HTMLSelectElement>('cell'),
  layers: $<HTMLInputElement>('layers'),
  hidden: $<HTMLInputElement>('hidden'),
  archHint: $('arch-hint'),
  epochs: $<HTMLInputElement>('epochs'),
  steps: $<HTMLInputElement>('steps'),
  batch: $<HTMLInputElement>('batch'),
  optimizer: $<HTMLSelectElement>('optimizer'),
  lr: $<HTMLInputElement>('lr'),
  clip: $<HTMLInputElement>('clip'),
  sampling: $<HTMLSelectElement>('sampling'),
  sampleLength: $<HTMLInputElement>('sample-length'),
  start: $<HTMLButtonElement>('start'),
  pause: $<HTMLButtonElement>('pause'),
  reset: $<HTMLButtonElement>('reset'),
  save: $<HTMLButtonElement>('save'),
  loadFile: $<HTMLInputElement>('load-file'),
  loadLabel: $('load-label'),
  epoch: $('epoch'),
  perplexity: $('perplexity'),
  tps: $('tps'),
  elapsed: $('elapsed'),
  progress: $('progress-bar'),
  status: $('status'),
  chart: $('chart'),
  lossChart: $('loss-chart'),
  epochLog: $('epoch-log'),
  prefixes: $<HTMLInputElement>('prefixes'),
  samples: $('samples'),
  genPrefix: $<HTMLInputElement>('gen-prefix'),
  genLength: $<HTMLInputElement>('gen-length'),
  genTemperature: $<HTMLInputElement>('gen-temperature'),
  genTopK: $<HTMLInputElement>('gen-top-k'),
  genTopP: $<HTMLInputElement>('gen-top-p'),
  genSeed: $<HTMLInputElement>('gen-seed'),
  generate: $<HTMLButtonElement>('generate'),
  genOutput: $('gen-output'),
};

export function showMessage(text: string, kind: 'error' | 'info' | 'success' = 'error'): void {
  el.messageText.textContent = text;
  el.message.dataset.kind = kind;
  el.message.hidden = false;
}

export function clearMessage(): void {
  el.message.hidden = true;
  el.messageText.textContent = '';
}

el.messageClose.addEventListener('click', clearMessage);

export const fmtInt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function fmtPerplexity(p: number): string {
  return p >= 100 ? p.toFixed(1) : p.toFixed(3);
}

export function fmtEpochs(x: number): string {
  return Number.isInteger(Math.round(x * 100) / 100) ? String(Math.round(x)) : x.toFixed(2);
}

export function fmtSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}

export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export function download(bytes: ArrayBuffer, filename: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
