// The webrnn demo page: pick a corpus, train a character-level RNN on the GPU, watch the perplexity fall and
// the samples improve, generate text, save and load the weights.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import * as wr from '../src/index.js';
import { BUNDLED, decodeTextFile, fetchPresets, prefixesFor, splitPrefixes, type CorpusMode, type CorpusSource } from './corpus.js';
import { decodeWeights, download, encodeWeights } from './weights.js';
import { FORM_BOUNDS, checkLimits } from './limits.js';

type CellMode = 'rnn' | 'gru' | 'lstm';

// ---- elements ------------------------------------------------------------------------------------------------

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo: #${id} is missing from index.html`);
  return el as T;
}

const el = {
  adapter: $('adapter'),
  noWebGPU: $('no-webgpu'),
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
  chartEmpty: $('chart-empty'),
  epochLog: $('epoch-log'),
  prefixes: $<HTMLInputElement>('prefixes'),
  samples: $('samples'),
  genPrefix: $<HTMLInputElement>('gen-prefix'),
  genLength: $<HTMLInputElement>('gen-length'),
  genTemperature: $<HTMLInputElement>('gen-temperature'),
  generate: $<HTMLButtonElement>('generate'),
  genOutput: $('gen-output'),
};

// ---- state ---------------------------------------------------------------------------------------------------

interface Corpus {
  name: string;
  text: string;
  mode: CorpusMode;
  maxChars: number; // 0 = whole text
  vocab: wr.data.Vocab;
  indices: Int32Array;
}

interface Run {
  target: number; // full epochs this run should train
  done: number; // full epochs trained so far
}

interface Point {
  x: number; // cumulative epochs (fractional after a pause mid-epoch)
  perplexity: number;
  tokensPerSecond: number;
}

let ctx: wr.Context | null = null;
let sources: CorpusSource[] = [...BUNDLED];
let userFile: { name: string; text: string } | null = null;
let corpusText: { id: string; name: string; text: string } | null = null;
let corpus: Corpus | null = null;
let corpusError: string | null = null;
let corpusLoading: Promise<void> = Promise.resolve();

let model: wr.lm.CharRNN | null = null;
let modelVocab: wr.data.Vocab | null = null;
let modelOrigin = '';
/** The model's optimizer, kept across Pause/Resume so Adam's moments and step count carry on exactly. */
let optimizer: { kind: 'sgd' | 'adam'; opt: wr.optim.Optimizer } | null = null;
let run: Run | null = null;
let training: { abort: AbortController; done: Promise<void> } | null = null;
let busy = false; // loading weights or saving
let resetting = false;
/** Predictions in flight (samples, the generation box): the model is not disposed under them. */
let predicting: Promise<unknown> = Promise.resolve();

function track<T>(work: Promise<T>): Promise<T> {
  predicting = Promise.all([predicting, work.catch(() => undefined)]);
  return work;
}
let epochsTrained = 0;
let secondsTrained = 0;
let points: Point[] = [];

// ---- messages ------------------------------------------------------------------------------------------------

function showMessage(text: string, kind: 'error' | 'info' | 'success' = 'error'): void {
  el.messageText.textContent = text;
  el.message.dataset.kind = kind;
  el.message.hidden = false;
}

function clearMessage(): void {
  el.message.hidden = true;
  el.messageText.textContent = '';
}

function describeError(e: unknown): string {
  if (e instanceof wr.GPUError) return `GPU error: ${e.message}`;
  if (e instanceof wr.NonFiniteLossError) return `${e.message}. Reset to start from fresh weights.`;
  if (e instanceof Error) return e.message;
  return String(e);
}

el.messageClose.addEventListener('click', clearMessage);

window.addEventListener('unhandledrejection', (event) => {
  showMessage(`Unexpected error: ${describeError(event.reason)}`);
});

// ---- formatting ----------------------------------------------------------------------------------------------

const fmtInt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function fmtPerplexity(p: number): string {
  return p >= 100 ? p.toFixed(1) : p.toFixed(3);
}

function fmtEpochs(x: number): string {
  return Number.isInteger(Math.round(x * 100) / 100) ? String(Math.round(x)) : x.toFixed(2);
}

function fmtSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}

// ---- form ----------------------------------------------------------------------------------------------------

function readInt(input: HTMLInputElement, name: string, [min, max]: readonly [number, number]): number {
  const v = Number(input.value);
  if (input.value.trim() === '' || !Number.isInteger(v) || v < min || v > max) {
    input.focus();
    throw new Error(`${name} must be a whole number from ${fmtInt.format(min)} to ${fmtInt.format(max)} (got "${input.value}")`);
  }
  return v;
}

function readPositive(input: HTMLInputElement, name: string): number {
  const v = Number(input.value);
  if (input.value.trim() === '' || !Number.isFinite(v) || v <= 0) {
    input.focus();
    throw new Error(`${name} must be a positive number (got "${input.value}")`);
  }
  return v;
}

interface Settings {
  cell: CellMode;
  numLayers: number;
  hiddenSize: number;
  epochs: number;
  numSteps: number;
  batchSize: number;
  optimizer: 'sgd' | 'adam';
  lr: number;
  clipTheta: number | undefined;
  sampling: wr.data.Sampling;
}

function readSettings(): Settings {
  const clipText = el.clip.value.trim();
  let clipTheta: number | undefined;
  if (clipText !== '' && Number(clipText) !== 0) clipTheta = readPositive(el.clip, 'Clip norm');
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
    sampling: el.sampling.value as wr.data.Sampling,
  };
}

// ---- corpus --------------------------------------------------------------------------------------------------

function renderCorpusOptions(selected: string): void {
  el.corpus.replaceChildren();
  const group = (label: string, items: { id: string; label: string }[]) => {
    if (items.length === 0) return;
    const g = document.createElement('optgroup');
    g.label = label;
    for (const s of items) g.append(new Option(s.label, s.id));
    el.corpus.append(g);
  };
  group('Textbook corpora', sources.filter((s) => !BUNDLED.includes(s)));
  group('Public domain (bundled)', BUNDLED);
  if (userFile) group('Your file', [{ id: 'file', label: userFile.name }]);
  el.corpus.value = selected;
}

function sourceById(id: string): CorpusSource | undefined {
  return sources.find((s) => s.id === id);
}

/** Loads the selected source's text (if needed) and rebuilds the corpus from it with the current options. */
function selectCorpus(id: string, applyDefaults: boolean): Promise<void> {
  const source = sourceById(id);
  if (applyDefaults) {
    if (source) {
      el.mode.value = source.mode;
      el.prefixes.value = source.prefixes;
    } else if (id === 'file' && userFile) {
      el.mode.value = 'chars';
      el.prefixes.value = prefixesFor(userFile.text);
    }
    el.genPrefix.value = splitPrefixes(el.prefixes.value)[0] ?? '';
  }
  corpusLoading = (async () => {
    if (corpusText?.id !== id) {
      corpus = null;
      corpusError = null;
      el.corpusInfo.textContent = 'Loading…';
      try {
        if (id === 'file') {
          if (!userFile) throw new Error('no file chosen');
          corpusText = { id, name: userFile.name, text: userFile.text };
        } else {
          if (!source) throw new Error(`unknown corpus ${id}`);
          const text = await source.load();
          if (el.corpus.value !== id) return; // another choice came in meanwhile
          corpusText = { id, name: source.label, text };
        }
      } catch (e) {
        corpusText = null;
        corpusError = describeError(e);
        el.corpusInfo.textContent = corpusError;
        return;
      }
    }
    rebuildCorpus();
  })();
  return corpusLoading;
}

function rebuildCorpus(): void {
  if (!corpusText) return;
  corpus = null;
  corpusError = null;
  try {
    const maxChars = readInt(el.maxChars, 'Max characters', [0, 1e9]);
    const mode = el.mode.value as CorpusMode;
    const { vocab, indices } = wr.data.charCorpus(corpusText.text, { maxChars: maxChars > 0 ? maxChars : undefined, mode });
    corpus = { name: corpusText.name, text: corpusText.text, mode, maxChars, vocab, indices };
  } catch (e) {
    corpusError = `${corpusText.name}: ${describeError(e)}`;
  }
  renderCorpusInfo();
}

function renderCorpusInfo(): void {
  if (!corpus) {
    el.corpusInfo.textContent = corpusError ?? 'Loading…';
    el.corpusInfo.classList.toggle('bad', corpusError !== null);
    return;
  }
  el.corpusInfo.classList.remove('bad');
  let text = `${fmtInt.format(corpus.indices.length)} characters · vocabulary of ${fmtInt.format(corpus.vocab.size)} tokens`;
  if (model && modelVocab && !sameVocab(modelVocab, corpus.vocab)) {
    text += ` · the current model keeps its own vocabulary (${fmtInt.format(modelVocab.size)} tokens)`;
  }
  el.corpusInfo.textContent = text;
}

async function readUserCorpus(file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const text = decodeTextFile(file.name, bytes);
  if (text instanceof Error) {
    showMessage(text.message);
    return;
  }
  clearMessage();
  userFile = { name: file.name, text };
  if (corpusText?.id === 'file') corpusText = null; // a new file under the same id
  renderCorpusOptions('file');
  await selectCorpus('file', true);
  showMessage(`Corpus: ${file.name} (${fmtInt.format(Array.from(text).length)} characters).`, 'info');
}

el.corpus.addEventListener('change', () => void selectCorpus(el.corpus.value, true));
el.maxChars.addEventListener('change', () => void corpusLoading.then(rebuildCorpus));
el.mode.addEventListener('change', () => void corpusLoading.then(rebuildCorpus));
el.corpusFile.addEventListener('change', () => {
  const file = el.corpusFile.files?.[0];
  el.corpusFile.value = '';
  if (file) void readUserCorpus(file);
});

// Drag and drop anywhere on the page: .safetensors loads weights, anything else is a corpus.
let dragDepth = 0;
document.addEventListener('dragenter', (e) => {
  e.preventDefault();
  dragDepth++;
  el.drop.classList.add('over');
});
document.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) el.drop.classList.remove('over');
});
document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  el.drop.classList.remove('over');
  const file = e.dataTransfer?.files[0];
  if (!file) return;
  if (/\.safetensors$/i.test(file.name)) void loadWeightsFile(file);
  else void readUserCorpus(file);
});

// ---- chart ---------------------------------------------------------------------------------------------------

const plot = new uPlot(
  {
    width: Math.max(200, el.chart.clientWidth),
    height: 260,
    scales: { x: { time: false }, y: { distr: 3 } },
    series: [
      { label: 'epoch', value: (_u, v) => (v == null ? '–' : fmtEpochs(v)) },
      {
        label: 'perplexity',
        stroke: '#2563eb',
        width: 2,
        fill: 'rgba(37, 99, 235, 0.08)',
        points: { size: 5 },
        value: (_u, v) => (v == null ? '–' : fmtPerplexity(v)),
      },
    ],
    axes: [
      { label: 'epoch', stroke: '#475569', grid: { stroke: '#e2e8f0' }, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] },
      { stroke: '#475569', grid: { stroke: '#e2e8f0' }, size: 56 },
    ],
    legend: { show: false }, // the epoch log beside the chart has the numbers
  },
  [[], []],
  el.chart,
);
new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.chart.clientWidth), height: 260 })).observe(el.chart);

function renderHistory(): void {
  plot.setData([points.map((p) => p.x), points.map((p) => p.perplexity)]);
  el.chart.parentElement!.classList.toggle('empty', points.length === 0);
  const last = points.at(-1);
  el.perplexity.textContent = last ? fmtPerplexity(last.perplexity) : '–';
  el.tps.textContent = last ? fmtInt.format(last.tokensPerSecond) : '–';
  el.elapsed.textContent = points.length ? fmtSeconds(secondsTrained) : '–';
  el.epoch.textContent = model ? fmtEpochs(epochsTrained) : '–';
}

function appendLog(p: Point): void {
  const row = document.createElement('tr');
  row.dataset.epoch = String(p.x);
  row.dataset.perplexity = String(p.perplexity);
  for (const text of [fmtEpochs(p.x), fmtPerplexity(p.perplexity), fmtInt.format(p.tokensPerSecond)]) {
    const td = document.createElement('td');
    td.textContent = text;
    row.append(td);
  }
  el.epochLog.prepend(row);
}

function clearHistory(): void {
  points = [];
  epochsTrained = 0;
  secondsTrained = 0;
  el.epochLog.replaceChildren();
  el.samples.replaceChildren();
  el.genOutput.textContent = '';
  el.progress.style.width = '0%';
  renderHistory();
}

// ---- samples and generation ----------------------------------------------------------------------------------

async function refreshSamples(): Promise<void> {
  if (!model || !modelVocab) return;
  const length = Number(el.sampleLength.value);
  const numChars = Number.isInteger(length) && length > 0 && length <= 1000 ? length : 50;
  const prefixes = splitPrefixes(el.prefixes.value);
  const items: HTMLLIElement[] = [];
  for (const prefix of prefixes) {
    const li = document.createElement('li');
    li.dataset.prefix = prefix;
    try {
      const text = await track(model.predict(prefix, numChars, modelVocab, { temperature: 0 }));
      const b = document.createElement('b');
      b.textContent = prefix;
      li.append(b, document.createTextNode(text.slice(prefix.length)));
    } catch (e) {
      if (e instanceof wr.GPUError) throw e;
      li.classList.add('bad');
      li.textContent = `${prefix}: ${describeError(e)}`;
    }
    items.push(li);
  }
  el.samples.replaceChildren(...items);
}

async function generate(): Promise<void> {
  if (!model || !modelVocab) return;
  try {
    const prefix = el.genPrefix.value;
    if (prefix.length === 0) throw new Error('Type a prefix to start the generation from');
    const length = readInt(el.genLength, 'Length', [1, 5000]);
    const tText = el.genTemperature.value.trim();
    const temperature = tText === '' ? 0 : Number(tText);
    if (!Number.isFinite(temperature) || temperature < 0) throw new Error(`Temperature must be 0 (greedy) or more (got "${tText}")`);
    el.generate.disabled = true;
    const text = await track(model.predict(prefix, length, modelVocab, { temperature }));
    el.genOutput.replaceChildren();
    const b = document.createElement('b');
    b.textContent = prefix;
    el.genOutput.append(b, document.createTextNode(text.slice(prefix.length)));
  } catch (e) {
    showMessage(describeError(e));
  } finally {
    updateControls();
  }
}

el.generate.addEventListener('click', () => void generate());
el.genPrefix.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') void generate();
});

// ---- training ------------------------------------------------------------------------------------------------

function sameVocab(a: wr.data.Vocab, b: wr.data.Vocab): boolean {
  return a === b || (a.size === b.size && a.unknownToken === b.unknownToken && a.idxToToken.every((t, i) => t === b.idxToToken[i]));
}

/** The corpus as ids of the model's vocabulary (they differ after loading weights or changing the corpus). */
function indicesForModel(c: Corpus, vocab: wr.data.Vocab): Int32Array {
  if (sameVocab(vocab, c.vocab)) return c.indices;
  const unknownId = vocab.unknownToken === null ? -1 : vocab.tokenToIdx.get(vocab.unknownToken)!;
  const map = c.vocab.idxToToken.map((t) => vocab.tokenToIdx.get(t) ?? unknownId);
  const missing = c.vocab.idxToToken.filter((_, i) => map[i]! < 0);
  if (missing.length > 0) {
    const shown = missing.slice(0, 8).map((t) => JSON.stringify(t)).join(' ');
    throw new Error(
      `the model's vocabulary (${vocab.size} tokens) lacks ${missing.length} character(s) of this corpus (${shown}${missing.length > 8 ? ' …' : ''}): ` +
        'choose the corpus the model was trained on, or Reset to train a new model on this one',
    );
  }
  return Int32Array.from(c.indices, (i) => map[i]!);
}

/** Lets the browser paint and handle input between steps (a macrotask, without setTimeout's 4 ms clamp). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

async function start(): Promise<void> {
  if (!ctx || training || busy) return;
  clearMessage();
  let settings: Settings;
  try {
    settings = readSettings();
    await corpusLoading;
    if (!corpus) throw new Error(corpusError ?? 'the corpus is not ready yet');
    const cfg = model
      ? { cell: model.cell, hiddenSize: model.hiddenSize, numLayers: model.numLayers, vocabSize: model.vocabSize }
      : { cell: settings.cell, hiddenSize: settings.hiddenSize, numLayers: settings.numLayers, vocabSize: corpus.vocab.size };
    const problem = checkLimits({ ...cfg, batchSize: settings.batchSize, numSteps: settings.numSteps }, ctx.limits);
    if (problem) throw new Error(`Too large for this GPU: ${problem}`);
  } catch (e) {
    showMessage(describeError(e));
    return;
  }
  const c = corpus!;
  let createdHere = false;
  let indices: Int32Array;
  try {
    if (!model) {
      model = new wr.lm.CharRNN(ctx, {
        vocabSize: c.vocab.size,
        hiddenSize: settings.hiddenSize,
        cell: settings.cell,
        numLayers: settings.numLayers,
      });
      modelVocab = c.vocab;
      modelOrigin = `trained on ${c.name}`;
      createdHere = true;
      clearHistory();
    }
    indices = indicesForModel(c, modelVocab!);
  } catch (e) {
    showMessage(describeError(e));
    updateControls();
    return;
  }
  if (!run || run.done >= run.target) run = { target: settings.epochs, done: 0 };
  else run.target = Math.max(run.done + 1, settings.epochs); // resuming: the form's epochs may have changed

  const abort = new AbortController();
  const batches = wr.data.numBatches(indices.length, settings.batchSize, settings.numSteps, settings.sampling);
  let stepInEpoch = 0;
  let epochsThisCall = 0;
  const inFlight: Promise<unknown>[] = [];
  const device = ctx.device;
  const currentRun = run;
  const trainedModel = model;

  const done = (async () => {
    try {
      await wr.train(trainedModel, indices, {
        epochs: currentRun.target - currentRun.done,
        numSteps: settings.numSteps,
        batchSize: settings.batchSize,
        lr: settings.lr,
        clipTheta: settings.clipTheta,
        optimizer: optimizerFor(trainedModel, settings.optimizer, settings.lr),
        sampling: settings.sampling,
        signal: abort.signal,
        yieldBetweenSteps: async () => {
          stepInEpoch++;
          el.progress.style.width = `${Math.min(100, (100 * stepInEpoch) / Math.max(1, batches))}%`;
          renderStatus(stepInEpoch, batches);
          // Keep at most two steps queued on the GPU, so Pause and the progress bar follow the GPU closely.
          inFlight.push(device.queue.onSubmittedWorkDone());
          if (inFlight.length > 2) await inFlight.shift();
          await yieldToEventLoop();
        },
        onEpoch: async (record) => {
          if (resetting) return; // the model is about to go: nothing to record
          const fraction = batches > 0 ? Math.min(1, stepInEpoch / batches) : 1;
          stepInEpoch = 0;
          epochsThisCall++;
          if (fraction >= 1) currentRun.done++;
          epochsTrained += fraction;
          secondsTrained += record.seconds;
          const p: Point = { x: epochsTrained, perplexity: record.perplexity, tokensPerSecond: record.tokensPerSecond };
          points.push(p);
          appendLog(p);
          renderHistory();
          await refreshSamples();
        },
      });
    } catch (e) {
      showMessage(describeError(e));
      if (createdHere && epochsThisCall === 0) {
        // Nothing was trained (e.g. the corpus is too short for one batch): back to no model.
        await predicting;
        disposeModel();
        run = null;
      }
    } finally {
      training = null;
      el.progress.style.width = '0%';
      updateControls();
      renderHistory();
      renderCorpusInfo();
    }
  })();
  training = { abort, done };
  updateControls();
  renderHistory();
  renderStatus(0, batches);
  await done;
}

function pause(): void {
  training?.abort.abort();
  updateControls();
}

/** Disposes the model's parameters. Callers await `predicting` first. */
/** The optimizer of the current model for these settings: kept while the kind stays the same. */
function optimizerFor(m: wr.lm.CharRNN, kind: 'sgd' | 'adam', lr: number): wr.optim.Optimizer {
  if (optimizer?.kind !== kind) {
    optimizer?.opt.dispose();
    optimizer = { kind, opt: kind === 'adam' ? new wr.optim.Adam(m.parameters(), { lr }) : new wr.optim.SGD(m.parameters(), { lr }) };
  }
  return optimizer.opt;
}

function disposeModel(): void {
  optimizer?.opt.dispose();
  optimizer = null;
  if (model) for (const p of model.parameters()) p.dispose();
  model = null;
  modelVocab = null;
  modelOrigin = '';
}

async function reset(): Promise<void> {
  if (training) {
    resetting = true;
    training.abort.abort();
    updateControls();
    try {
      await training.done;
    } finally {
      resetting = false;
    }
  }
  await predicting;
  disposeModel();
  run = null;
  clearHistory();
  clearMessage();
  if (ctx && !usable(ctx)) await initGPU(); // after a device loss, start over with a new device
  updateControls();
  renderCorpusInfo();
}

function usable(c: wr.Context): boolean {
  try {
    c.assertUsable();
    return true;
  } catch {
    return false;
  }
}

el.start.addEventListener('click', () => void start());
el.pause.addEventListener('click', pause);
el.reset.addEventListener('click', () => void reset());
el.prefixes.addEventListener('change', () => {
  if (!training && model) void refreshSamples().catch((e) => showMessage(describeError(e)));
});

// ---- weights -------------------------------------------------------------------------------------------------

async function saveWeights(): Promise<void> {
  if (!model || !modelVocab || training || busy) return;
  busy = true;
  updateControls();
  try {
    const state = await model.stateDict();
    const bytes = encodeWeights(model, state, modelVocab, {
      corpus: corpus?.name ?? '',
      epochs: fmtEpochs(epochsTrained),
      perplexity: points.length ? String(points.at(-1)!.perplexity) : '',
    });
    const layers = model.numLayers > 1 ? `-${model.numLayers}x` : '-';
    download(bytes, `webrnn-${model.cell}${layers}${model.hiddenSize}.safetensors`);
    showMessage(`Saved ${fmtInt.format(bytes.length)} bytes of weights (with the vocabulary).`, 'success');
  } catch (e) {
    showMessage(`Could not save the weights: ${describeError(e)}`);
  } finally {
    busy = false;
    updateControls();
  }
}

async function loadWeightsFile(file: File): Promise<void> {
  if (!ctx) {
    showMessage('WebGPU is unavailable, so weights cannot be loaded here.');
    return;
  }
  if (training || busy) {
    showMessage('Pause the training before loading weights.');
    return;
  }
  busy = true;
  updateControls();
  let candidate: wr.lm.CharRNN | null = null;
  try {
    await corpusLoading;
    const bytes = new Uint8Array(await file.arrayBuffer());
    const weights = decodeWeights(bytes);
    const { arch } = weights;
    let vocab = weights.vocab;
    let vocabFrom = 'from the file';
    if (!vocab) {
      if (!corpus) throw new Error('the file has no vocabulary and no corpus is loaded to take one from');
      if (corpus.vocab.size !== arch.vocabSize) {
        throw new Error(
          `the file has no vocabulary, and its ${arch.vocabSize}-token input does not fit the current corpus's vocabulary of ` +
            `${corpus.vocab.size}: choose the corpus (and max characters / preprocessing) the model was trained on`,
        );
      }
      vocab = corpus.vocab;
      vocabFrom = 'from the current corpus';
    }
    const problem = checkLimits({ ...arch, batchSize: 1, numSteps: 1 }, ctx.limits);
    if (problem) throw new Error(`Too large for this GPU: ${problem}`);
    candidate = new wr.lm.CharRNN(ctx, {
      vocabSize: arch.vocabSize,
      hiddenSize: arch.hiddenSize,
      cell: arch.cell,
      numLayers: arch.numLayers,
      nonlinearity: arch.nonlinearity,
    });
    candidate.loadStateDict(weights.tensors, weights.shapes);
    await ctx.checkErrors();
    // Success: the loaded model replaces the current one.
    if (training) throw new Error('training started while loading');
    await predicting;
    disposeModel();
    model = candidate;
    candidate = null;
    modelVocab = vocab;
    modelOrigin = `loaded from ${file.name}`;
    run = null;
    clearHistory();
    // A file saved here says how long it was trained: further epochs continue the count.
    const savedEpochs = Number(weights.metadata.epochs);
    if (Number.isFinite(savedEpochs) && savedEpochs > 0) epochsTrained = savedEpochs;
    renderHistory();
    el.cell.value = arch.cell;
    el.layers.value = String(arch.numLayers);
    el.hidden.value = String(arch.hiddenSize);
    showMessage(
      `Loaded ${file.name}: ${arch.cell.toUpperCase()}, ${arch.numLayers} layer${arch.numLayers > 1 ? 's' : ''}, hidden size ${arch.hiddenSize}, ` +
        `vocabulary of ${vocab.size} tokens ${vocabFrom}.`,
      'success',
    );
    renderCorpusInfo();
  } catch (e) {
    if (candidate) for (const p of candidate.parameters()) p.dispose();
    const kept = model ? ' The current model is kept.' : '';
    showMessage(`Could not load ${file.name}: ${describeError(e).replace(/\.$/, '')}.${kept}`);
    return;
  } finally {
    busy = false;
    updateControls();
  }
  try {
    await refreshSamples();
  } catch (e) {
    showMessage(describeError(e));
  }
}

el.save.addEventListener('click', () => void saveWeights());
el.loadFile.addEventListener('change', () => {
  const file = el.loadFile.files?.[0];
  el.loadFile.value = '';
  if (file) void loadWeightsFile(file);
});

// ---- controls ------------------------------------------------------------------------------------------------

function renderStatus(step = 0, batches = 0): void {
  if (!ctx) {
    el.status.textContent = 'WebGPU is unavailable: training and generation are off.';
  } else if (training?.abort.signal.aborted) {
    el.status.textContent = resetting ? 'Stopping…' : 'Pausing after this step…';
  } else if (training && run) {
    const epoch = run.done + 1;
    el.status.textContent = `Training epoch ${epoch} of ${run.target}${batches ? ` · step ${step} of ${batches}` : ''} · ${modelOrigin}`;
  } else if (busy) {
    el.status.textContent = 'Working…';
  } else if (!model) {
    el.status.textContent = 'No model yet: choose the settings and press Start.';
  } else if (run && run.done < run.target) {
    el.status.textContent = `Paused after ${fmtEpochs(epochsTrained)} epochs: Resume continues the same model (${modelOrigin}).`;
  } else if (run) {
    el.status.textContent = `Finished ${run.target} epochs (${modelOrigin}): Train more adds ${el.epochs.value} epochs to the same model.`;
  } else {
    el.status.textContent = `Model ${modelOrigin}: generate text, or press Start to train it further.`;
  }
}

function updateControls(): void {
  const gpu = ctx !== null;
  const isTraining = training !== null;
  el.start.disabled = !gpu || isTraining || busy;
  el.start.textContent = isTraining ? 'Training…' : !model ? 'Start' : run && run.done < run.target ? 'Resume' : 'Train more';
  el.pause.disabled = !isTraining || training!.abort.signal.aborted;
  el.reset.disabled = !gpu || (!model && !isTraining) || busy || resetting;
  el.save.disabled = !model || isTraining || busy;
  el.generate.disabled = !model || busy;
  const loadDisabled = !gpu || isTraining || busy;
  el.loadFile.disabled = loadDisabled;
  el.loadLabel.classList.toggle('disabled', loadDisabled);
  for (const input of [el.cell, el.layers, el.hidden]) input.disabled = model !== null;
  el.archHint.textContent = model
    ? `The model is ${model.cell.toUpperCase()} · ${model.numLayers} layer${model.numLayers > 1 ? 's' : ''} · hidden ${model.hiddenSize} (${modelOrigin}). Reset to change the architecture.`
    : '';
  renderStatus();
}

// ---- start-up ------------------------------------------------------------------------------------------------

function describeAdapter(info: GPUAdapterInfo | null): string {
  if (!info) return 'GPU adapter (no details)';
  const parts = [info.vendor, info.architecture, info.description].filter((s) => s && s.trim().length > 0);
  let text = parts.length ? parts.join(' · ') : 'GPU adapter (details hidden by the browser)';
  if ((info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter) text += ' (software fallback: slow)';
  return text;
}

function showNoWebGPU(e: unknown): void {
  const detail = e instanceof Error ? e.message : String(e);
  el.noWebGPU.hidden = false;
  el.noWebGPU.replaceChildren();
  const h = document.createElement('h2');
  h.textContent = 'This browser cannot run WebGPU here';
  const list = document.createElement('ul');
  for (const line of [
    'Chrome or Edge 113+ on Windows, macOS and ChromeOS (Android: Chrome 121+) have WebGPU on by default.',
    'Chrome on Linux: open chrome://flags, enable “Unsafe WebGPU Support” (#enable-unsafe-webgpu) and “Vulkan” (#enable-vulkan), or start it with --enable-unsafe-webgpu --enable-features=Vulkan.',
    'Safari 26+ (macOS, iOS, iPadOS 26) has WebGPU on by default; on older Safari, enable it under Develop → Feature Flags.',
    'Firefox 141+ on Windows has it on by default; elsewhere use Firefox Nightly or set dom.webgpu.enabled in about:config.',
    'Also check that hardware acceleration is on and that the GPU is not blocklisted (chrome://gpu shows why).',
  ]) {
    const li = document.createElement('li');
    li.textContent = line;
    list.append(li);
  }
  const p = document.createElement('p');
  p.className = 'detail';
  p.textContent = detail;
  el.noWebGPU.append(h, list, p);
  el.adapter.textContent = 'No WebGPU';
  el.adapter.classList.add('bad');
}

async function initGPU(): Promise<void> {
  try {
    ctx?.destroy();
  } catch {
    /* already gone */
  }
  ctx = null;
  try {
    const c = await wr.init();
    ctx = c;
    el.noWebGPU.hidden = true;
    el.adapter.textContent = describeAdapter(c.adapterInfo);
    el.adapter.classList.remove('bad');
    c.device.lost.then((info) => {
      if (ctx !== c || c.isDestroyed) return;
      showMessage(`The GPU device was lost (${info.reason || 'unknown reason'}: ${info.message}). Press Reset to start again on a new device.`);
    });
  } catch (e) {
    if (e instanceof wr.WebGPUUnavailableError) showNoWebGPU(e);
    else {
      showNoWebGPU(e);
      showMessage(`Could not start WebGPU: ${describeError(e)}`);
    }
  }
}

async function main(): Promise<void> {
  renderCorpusOptions(BUNDLED[0]!.id);
  renderHistory();
  updateControls();
  const [presets] = await Promise.all([fetchPresets(), initGPU()]);
  sources = [...presets, ...BUNDLED];
  const initial = presets.find((p) => p.id === 'jaychou') ?? BUNDLED[0]!;
  renderCorpusOptions(initial.id);
  updateControls();
  await selectCorpus(initial.id, true);
  document.body.dataset.ready = 'true';
}

void main();
