// The training engine: owns the WebGPU context, the corpus, the model and its optimizer, and answers the page's
// requests (demo/protocol.ts). It runs in a dedicated Web Worker (demo/worker.ts) so that corpus splitting,
// kernel encoding and read-backs never block the page; where workers have no WebGPU, the page runs it itself.
import * as wr from '../src/index.js';
import { decodeTextFile, prefixesFor } from './corpus.js';
import { checkLimits } from './limits.js';
import type { EngineEvent, EpochPoint, GenerateSettings, ModelInfo, Request, SampleSettings, TrainSettings } from './protocol.js';
import { InFlight, LossStream, describeError, encodeForSave, loadFailure, newTraining, stopForReset, yieldToEventLoop, type Training } from './engine-core.js';

export { describeError } from './engine-core.js';

type Post = (event: EngineEvent, transfer?: Transferable[]) => void;

interface Corpus {
  id: string;
  name: string;
  vocab: wr.data.Vocab;
  indices: Int32Array;
}

interface Run {
  target: number; // full epochs this run should train
  done: number; // full epochs trained so far
}

export function describeAdapter(info: GPUAdapterInfo | null, software: boolean): string {
  if (!info) return 'GPU adapter (no details)';
  const text = wr.describeAdapter(info, ' · ') || 'GPU adapter (details hidden by the browser)';
  return software ? `${text} (software fallback: slow)` : text;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export class Engine {
  private ctx: wr.Context | null = null;
  private userText: { name: string; text: string } | null = null;
  /** The text the corpus was split from, to split again when the options change. */
  private text: { id: string; text: string } | null = null;
  private corpus: Corpus | null = null;
  private corpusError: string | null = null;
  private model: wr.lm.CharRNN | null = null;
  private modelVocab: wr.data.Vocab | null = null;
  private modelOrigin = '';
  /** Kept across Pause/Resume so Adam's moments and step count carry on exactly. */
  private optimizer: { kind: 'sgd' | 'adam'; opt: wr.optim.Optimizer } | null = null;
  private run: Run | null = null;
  private training: Training | null = null;
  private epochsTrained = 0;
  private lastPerplexity: number | null = null;
  /** Predictions in flight (samples, generation): the model is not disposed under them. */
  private readonly predicting = new InFlight();
  /** Generations run one after another, in the order asked. */
  private generations: Promise<void> = Promise.resolve();
  /** The page's starting settings, whose kernels init() compiles (again after a device loss). */
  private warmUpSettings: TrainSettings | null = null;

  constructor(private readonly post: Post) {}

  /** The device's context, shared with the G2P tab's engine (null before init or without WebGPU). */
  get context(): wr.Context | null {
    return this.ctx;
  }

  /** Requests are handled in order of arrival; long ones (training) run while later ones are handled. */
  handle(request: Request): void {
    const work = this.dispatch(request);
    work.catch((e: unknown) => this.post({ type: 'error', message: `Unexpected error: ${describeError(e)}` }));
  }

  private async dispatch(r: Request): Promise<void> {
    switch (r.type) {
      case 'init':
        this.warmUpSettings = r.warmUp ?? null;
        return this.init();
      case 'corpus': return this.setCorpus(r.id, r.name, r.bytes, r.mode, r.maxChars);
      case 'corpus-file': return this.takeFile(r.name, r.bytes);
      case 'start': return this.start(r.settings, r.samples);
      case 'pause': this.training?.abort.abort(); return;
      case 'reset': return this.reset();
      case 'samples': if (!this.training) await this.refreshSamples(r.samples); return;
      case 'generate': this.generations = this.generations.then(() => this.generate(r.id, r.settings)); return this.generations;
      case 'save': return this.save();
      case 'load': return this.load(r.name, r.bytes);
    }
  }

  // ---- device ------------------------------------------------------------------------------------------------

  private async init(): Promise<void> {
    try {
      this.ctx?.destroy();
    } catch {
      /* already gone */
    }
    this.ctx = null;
    try {
      const c = await wr.init();
      this.ctx = c;
      c.device.lost.then((info) => {
        if (this.ctx !== c || c.isDestroyed) return;
        this.post({ type: 'error', message: `The GPU device was lost (${info.reason || 'unknown reason'}: ${info.message}). Press Reset to start again on a new device.` });
      });
      if (this.warmUpSettings) await this.warmUp(c, this.warmUpSettings);
      this.post({ type: 'ready', adapter: describeAdapter(c.adapterInfo, c.softwareAdapter), software: c.softwareAdapter });
    } catch (e) {
      this.post({ type: 'unavailable', message: describeError(e), noWebGPU: e instanceof wr.WebGPUUnavailableError });
    }
  }

  /**
   * Compiles the kernels a run of these settings uses (pipelines are cached per context and keyed by flags, not
   * sizes) by training a throwaway 8-unit model for one epoch and drawing a greedy sample, as Start and every
   * epoch's samples do. Without it they compile at Start and at the first epoch's end; on a software adapter
   * that is about a second of CPU in the GPU process's main thread, which Chromium runs at raised priority, so
   * the page's main thread starves then (tasks of 50–120 ms on 2 cores). A failure here is reported at Start.
   */
  private async warmUp(ctx: wr.Context, s: TrainSettings): Promise<void> {
    const { vocab, indices } = wr.data.charCorpus('abcdefghijklmnopqrstuvwxyz');
    const model = new wr.lm.CharRNN(ctx, { vocabSize: vocab.size, hiddenSize: 8, cell: s.cell, numLayers: s.numLayers });
    try {
      await wr.train(model, indices, { epochs: 1, numSteps: 2, batchSize: 2, lr: s.lr, clipTheta: s.clipTheta, optimizer: s.optimizer, sampling: s.sampling });
      await model.predict('a', 2, vocab, { temperature: 0 });
    } catch {
      /* only an optimisation: Start reports what is wrong */
    } finally {
      model.dispose();
    }
  }

  private usable(): boolean {
    try {
      this.ctx?.assertUsable();
      return this.ctx !== null;
    } catch {
      return false;
    }
  }

  // ---- corpus ------------------------------------------------------------------------------------------------

  private async takeFile(name: string, bytes: ArrayBuffer): Promise<void> {
    const text = decodeTextFile(name, new Uint8Array(bytes));
    if (text instanceof Error) {
      this.post({ type: 'corpus-file-error', message: text.message });
      return;
    }
    this.userText = { name, text };
    let chars = 0;
    for (const _ of text) chars++;
    this.post({ type: 'corpus-file', name, chars, prefixes: prefixesFor(text) });
  }

  private async setCorpus(id: string, name: string, bytes: ArrayBuffer | undefined, mode: 'chars' | 'timemachine', maxChars: number): Promise<void> {
    this.corpus = null;
    this.corpusError = null;
    try {
      let text: string;
      if (bytes) {
        const decoded = decodeTextFile(name, new Uint8Array(bytes));
        if (decoded instanceof Error) throw decoded;
        text = decoded;
      } else if (this.text?.id === id) {
        text = this.text.text;
      } else if (id === 'file' && this.userText) {
        text = this.userText.text;
      } else {
        throw new Error('no text was given');
      }
      this.text = { id, text };
      const { vocab, indices } = wr.data.charCorpus(text, { maxChars: maxChars > 0 ? maxChars : undefined, mode });
      this.corpus = { id, name, vocab, indices };
    } catch (e) {
      this.corpusError = `${name}: ${describeError(e)}`;
    }
    this.postCorpusInfo();
  }

  private postCorpusInfo(): void {
    const c = this.corpus;
    if (!c) {
      this.post({ type: 'corpus', id: '', info: this.corpusError ?? 'Loading…', bad: this.corpusError !== null });
      return;
    }
    const fmt = (n: number) => n.toLocaleString('en-US');
    let info = `${fmt(c.indices.length)} characters · vocabulary of ${fmt(c.vocab.size)} tokens`;
    if (this.model && this.modelVocab && !this.modelVocab.equals(c.vocab)) {
      info += ` · the current model keeps its own vocabulary (${fmt(this.modelVocab.size)} tokens)`;
    }
    this.post({ type: 'corpus', id: c.id, info, bad: false });
  }

  /** The corpus as ids of the model's vocabulary (they differ after loading weights or changing the corpus). */
  private indicesForModel(c: Corpus, vocab: wr.data.Vocab): Int32Array {
    if (vocab.equals(c.vocab)) return c.indices;
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

  // ---- model -------------------------------------------------------------------------------------------------

  private modelInfo(): ModelInfo | null {
    const m = this.model;
    if (!m) return null;
    return { cell: m.cell, numLayers: m.numLayers, hiddenSize: m.hiddenSize, vocabSize: m.vocabSize, origin: this.modelOrigin };
  }

  private optimizerFor(m: wr.lm.CharRNN, kind: 'sgd' | 'adam', lr: number): wr.optim.Optimizer {
    if (this.optimizer?.kind !== kind) {
      this.optimizer?.opt.dispose();
      this.optimizer = { kind, opt: kind === 'adam' ? new wr.optim.Adam(m.parameters(), { lr }) : new wr.optim.SGD(m.parameters(), { lr }) };
    }
    return this.optimizer.opt;
  }

  /** Callers await `predicting` first. */
  private disposeModel(): void {
    this.optimizer?.opt.dispose();
    this.optimizer = null;
    this.model?.dispose();
    this.model = null;
    this.modelVocab = null;
    this.modelOrigin = '';
    this.run = null;
    this.epochsTrained = 0;
    this.lastPerplexity = null;
  }

  // ---- training ----------------------------------------------------------------------------------------------

  private stopped(error: string | null, cleared = false): void {
    this.post({
      type: 'stopped',
      model: this.modelInfo(),
      runComplete: this.run === null || this.run.done >= this.run.target,
      epochsTrained: this.epochsTrained,
      error,
      cleared,
    });
  }

  private async start(settings: TrainSettings, samples: SampleSettings): Promise<void> {
    const ctx = this.ctx;
    if (!ctx || this.training) return;
    const c = this.corpus;
    let createdHere = false;
    let indices: Int32Array;
    try {
      if (!c) throw new Error(this.corpusError ?? 'the corpus is not ready yet');
      const m = this.model;
      const cfg = m
        ? { cell: m.cell, hiddenSize: m.hiddenSize, numLayers: m.numLayers, vocabSize: m.vocabSize }
        : { cell: settings.cell, hiddenSize: settings.hiddenSize, numLayers: settings.numLayers, vocabSize: c.vocab.size };
      const problem = checkLimits({ ...cfg, batchSize: settings.batchSize, numSteps: settings.numSteps }, ctx);
      if (problem) throw new Error(`Too large for this GPU: ${problem}`);
      if (!this.model) {
        this.model = new wr.lm.CharRNN(ctx, { vocabSize: c.vocab.size, hiddenSize: settings.hiddenSize, cell: settings.cell, numLayers: settings.numLayers });
        this.modelVocab = c.vocab;
        this.modelOrigin = `trained on ${c.name}`;
        this.epochsTrained = 0;
        createdHere = true;
      }
      indices = this.indicesForModel(c, this.modelVocab!);
    } catch (e) {
      this.stopped(describeError(e));
      return;
    }
    if (!this.run || this.run.done >= this.run.target) this.run = { target: settings.epochs, done: 0 };
    else this.run.target = Math.max(this.run.done + 1, settings.epochs); // resuming: the form's epochs may have changed

    const run = this.run;
    const model = this.model!;
    const batches = wr.data.numBatches(indices.length, settings.batchSize, settings.numSteps, settings.sampling);
    const inFlight: Promise<unknown>[] = [];
    let stepInEpoch = 0;
    let epochsThisCall = 0;
    const stream = new LossStream((losses) => {
      this.post({ type: 'progress', step: stepInEpoch, batches });
      if (losses.length) this.post({ type: 'losses', points: losses });
    });
    const flush = (force: boolean) => stream.flush(force);
    const epochAtStart = () => this.epochsTrained;
    const training = newTraining();
    const { abort } = training;
    training.done = (async () => {
      let error: string | null = null;
      try {
        await wr.train(model, indices, {
          epochs: run.target - run.done,
          numSteps: settings.numSteps,
          batchSize: settings.batchSize,
          lr: settings.lr,
          clipTheta: settings.clipTheta,
          optimizer: this.optimizerFor(model, settings.optimizer, settings.lr),
          sampling: settings.sampling,
          signal: abort.signal,
          onStepLoss: ({ step, loss }) => stream.push(epochAtStart() + step / Math.max(1, batches), loss),
          yieldBetweenSteps: async () => {
            stepInEpoch++;
            flush(false);
            // At most two steps queued on the GPU, so Pause follows the GPU closely.
            inFlight.push(ctx.device.queue.onSubmittedWorkDone());
            if (inFlight.length > 2) await inFlight.shift();
            await yieldToEventLoop();
          },
          onEpoch: async (record) => {
            if (training.resetting) return; // the model is about to go: nothing to record
            const fraction = batches > 0 ? Math.min(1, stepInEpoch / batches) : 1;
            stepInEpoch = 0;
            epochsThisCall++;
            if (fraction >= 1) run.done++;
            flush(true);
            this.epochsTrained += fraction;
            this.lastPerplexity = record.perplexity;
            const point: EpochPoint = { x: this.epochsTrained, perplexity: record.perplexity, tokensPerSecond: record.tokensPerSecond };
            this.post({ type: 'epoch', point, seconds: record.seconds, epochsTrained: this.epochsTrained });
            if (run.done < run.target && !abort.signal.aborted) {
              this.post({ type: 'training', epoch: run.done + 1, target: run.target, batches, model: this.modelInfo()! });
            }
            await this.refreshSamples(samples);
          },
        });
      } catch (e) {
        error = describeError(e);
        if (createdHere && epochsThisCall === 0) {
          // Nothing was trained (e.g. the corpus is too short for one batch): back to no model.
          await this.predicting.settled();
          this.disposeModel();
        }
      } finally {
        this.training = null;
      }
      flush(true);
      this.stopped(error);
      this.postCorpusInfo();
    })();
    this.training = training;
    this.post({ type: 'training', epoch: run.done + 1, target: run.target, batches, model: this.modelInfo()! });
    this.postCorpusInfo();
    await training.done;
  }

  private async reset(): Promise<void> {
    await stopForReset(this.training);
    await this.predicting.settled();
    this.disposeModel();
    if (this.ctx && !this.usable()) await this.init(); // after a device loss, start over with a new device
    this.post({ type: 'reset-done' });
    this.postCorpusInfo();
  }

  // ---- samples and generation --------------------------------------------------------------------------------

  private async refreshSamples(s: SampleSettings): Promise<void> {
    const m = this.model;
    const vocab = this.modelVocab;
    if (!m || !vocab) return;
    const items: { prefix: string; text: string | null; error: string | null }[] = [];
    for (const prefix of s.prefixes) {
      try {
        items.push({ prefix, text: await this.predicting.track(m.predict(prefix, s.length, vocab, { temperature: 0 })), error: null });
      } catch (e) {
        if (e instanceof wr.GPUError) throw e;
        items.push({ prefix, text: null, error: describeError(e) });
      }
    }
    if (this.model === m) this.post({ type: 'samples', items });
  }

  private async generate(id: number, g: GenerateSettings): Promise<void> {
    const m = this.model;
    const vocab = this.modelVocab;
    if (!m || !vocab) {
      this.post({ type: 'gen-error', id, message: 'There is no model to generate from: train one or load weights first' });
      return;
    }
    try {
      const text = await this.predicting.track(
        m.predict(g.prefix, g.length, vocab, {
          temperature: g.temperature,
          topK: g.topK,
          topP: g.topP,
          seed: g.seed,
          streamEvery: 16,
          onText: (piece) => this.post({ type: 'gen-text', id, piece }),
        }),
      );
      this.post({ type: 'gen-done', id, text });
    } catch (e) {
      this.post({ type: 'gen-error', id, message: describeError(e) });
    }
  }

  // ---- weights -----------------------------------------------------------------------------------------------

  private async save(): Promise<void> {
    const m = this.model;
    const vocab = this.modelVocab;
    if (!m || !vocab || this.training) {
      this.post({ type: 'save-failed', message: 'Could not save the weights: there is no model, or it is training' });
      return;
    }
    const extra: Record<string, string> = { epochs: String(Math.round(this.epochsTrained * 100) / 100) };
    if (this.corpus) extra.corpus = this.corpus.name;
    if (this.lastPerplexity !== null) extra.perplexity = String(this.lastPerplexity);
    const saved = await encodeForSave(this.predicting, 'the weights', () => wr.lm.saveCheckpoint(m, vocab, extra));
    if ('failed' in saved) {
      this.post({ type: 'save-failed', message: saved.failed });
      return;
    }
    const layers = m.numLayers > 1 ? `-${m.numLayers}x` : '-';
    this.post({ type: 'saved', bytes: saved.buffer, filename: `webrnn-${m.cell}${layers}${m.hiddenSize}.safetensors` }, [saved.buffer]);
  }

  private async load(name: string, bytes: ArrayBuffer): Promise<void> {
    const ctx = this.ctx;
    if (!ctx || this.training) {
      this.post({ type: 'load-failed', message: 'Pause the training before loading weights.' });
      return;
    }
    let candidate: wr.lm.CharRNN | null = null;
    try {
      const checkpoint = wr.lm.readCheckpoint(bytes);
      const { config } = checkpoint;
      let vocab = checkpoint.vocab;
      let vocabFrom = 'from the file';
      if (!vocab) {
        const c = this.corpus;
        if (!c) throw new Error('the file has no vocabulary and no corpus is loaded to take one from');
        if (c.vocab.size !== config.vocabSize) {
          throw new Error(
            `the file has no vocabulary, and its ${config.vocabSize}-token input does not fit the current corpus's vocabulary of ` +
              `${c.vocab.size}: choose the corpus (and max characters / preprocessing) the model was trained on`,
          );
        }
        vocab = c.vocab;
        vocabFrom = 'from the current corpus';
      }
      const problem = checkLimits({ ...config, batchSize: 1, numSteps: 1 }, ctx);
      if (problem) throw new Error(`Too large for this GPU: ${problem}`);
      candidate = wr.lm.modelFromCheckpoint(ctx, checkpoint);
      await ctx.checkErrors();
      if (this.training) throw new Error('training started while loading');
      // Success: the loaded model replaces the current one.
      await this.predicting.settled();
      this.disposeModel();
      this.model = candidate;
      candidate = null;
      this.modelVocab = vocab;
      this.modelOrigin = `loaded from ${name}`;
      // A file saved here says how long it was trained: further epochs continue the count.
      const savedEpochs = Number(checkpoint.metadata.epochs);
      this.epochsTrained = Number.isFinite(savedEpochs) && savedEpochs > 0 ? savedEpochs : 0;
      const layers = plural(config.numLayers, 'layer');
      this.post({
        type: 'loaded',
        model: this.modelInfo()!,
        epochsTrained: this.epochsTrained,
        message: `Loaded ${name}: ${config.cell.toUpperCase()}, ${layers}, hidden size ${config.hiddenSize}, vocabulary of ${vocab.size} tokens ${vocabFrom}.`,
      });
      this.postCorpusInfo();
    } catch (e) {
      candidate?.dispose();
      this.post({ type: 'load-failed', message: loadFailure(name, e, this.model !== null) });
    }
  }
}
