// The G2P tab's engine: a wr.seq2seq.Seq2Seq (d2l's encoder-decoder, Bahdanau attention by default) trained on a
// subset of CMUdict with per-step losses and per-epoch validation PER/WER, transcription by beam search with the
// attention weights for the heat map, and model files as the CLI's --save writes them (wr.seq2seq.saveG2PModel:
// config and both vocabularies in the metadata). It runs beside the char LM's engine, on the same device.
import * as wr from '../src/index.js';
import { InFlight, LossStream, describeError, encodeForSave, loadFailure, newTraining, stopForReset, yieldToEventLoop, type Training } from './engine-core.js';
import { hasStress, parseDict, pickSplit, wordForModel, type Split } from './g2p-data.js';
import type { G2PEpochPoint, G2PEvent, G2PModelInfo, G2PModelSettings, G2PRequest, G2PSample, G2PTrainSettings } from './g2p-protocol.js';

type Post = (event: G2PEvent, transfer?: Transferable[]) => void;

const SAMPLE_WORDS = 5;
const PAD = wr.data.G2P_IDS.pad;

interface Run {
  target: number; // full epochs this run trains
  done: number;
  /** The epoch under way: its batches and the next one to train, so Resume continues mid-epoch exactly. */
  batches: wr.data.G2PBatch[] | null;
  next: number;
  lossSum: number;
  steps: number;
  seconds: number;
}

export class G2PEngine {
  private dict: Record<string, string> | null = null;
  private model: wr.seq2seq.Seq2Seq | null = null;
  private vocabs: wr.data.G2PVocabs | null = null;
  private origin = '';
  private split: Split | null = null;
  private settings: G2PTrainSettings | null = null;
  private optimizer: wr.optim.Adam | null = null;
  private run: Run | null = null;
  private training: Training | null = null;
  private epochsTrained = 0;
  /** Decodes and evaluations in flight: the model is not disposed under them. */
  private readonly predicting = new InFlight();
  private transcriptions: Promise<void> = Promise.resolve();
  /** The kernel warm-up (demo/g2p-engine.ts warmUp): Start waits for it, so the two never share the device. */
  private warmingUp: Promise<void> = Promise.resolve();

  constructor(private readonly post: Post, private readonly context: () => wr.Context | null) {}

  handle(request: G2PRequest): void {
    this.dispatch(request).catch((e: unknown) => this.post({ type: 'g2p-stopped', model: this.modelInfo(), runComplete: true, epochsTrained: this.epochsTrained, error: `Unexpected error: ${describeError(e)}` }));
  }

  private async dispatch(r: G2PRequest): Promise<void> {
    switch (r.type) {
      case 'g2p-data': return this.takeData(r.dict, r.warmUp);
      case 'g2p-start': return this.start(r.settings);
      case 'g2p-pause': this.training?.abort.abort(); return;
      case 'g2p-reset': return this.reset();
      case 'g2p-transcribe':
        this.transcriptions = this.transcriptions.then(() => this.transcribe(r.id, r.word, r.beamSize));
        return this.transcriptions;
      case 'g2p-save': return this.save();
      case 'g2p-load': return this.load(r.name, r.bytes);
    }
  }

  private async takeData(dict: Record<string, string>, warmUp: { model: G2PModelSettings; beamSize: number } | null): Promise<void> {
    try {
      const entries = parseDict(dict, true);
      if (entries.length === 0) throw new Error('no words in the bundled dictionary');
      this.dict = dict;
      const ctx = this.context();
      if (ctx && warmUp) {
        this.warmingUp = this.warmUp(ctx, entries, warmUp.model, warmUp.beamSize);
        await this.warmingUp;
      }
      const words = wr.data.g2pReferences(entries).size;
      const phonemes = new Set(entries.flatMap((e) => e.phonemes.map((p) => p.replace(/\d$/, '')))).size;
      this.post({ type: 'g2p-data', info: `${words.toLocaleString('en-US')} CMUdict words bundled (${entries.length.toLocaleString('en-US')} pronunciations, ${phonemes} phonemes without stress)`, bad: false });
    } catch (e) {
      this.post({ type: 'g2p-data', info: `The bundled dictionary could not be read: ${describeError(e)}`, bad: true });
    }
  }

  /**
   * Compiles the kernels a run of these settings uses (pipelines are cached per context and keyed by flags, not
   * sizes): a throwaway 8-unit model trains one step, is scored (beam search) and gives one attention map, as
   * Start, every epoch's validation and Transcribe do. On a software adapter the compiles starve the page's main
   * thread (see Engine.warmUp); here they happen when the tab is first opened, before its words are reported.
   */
  private async warmUp(ctx: wr.Context, entries: wr.data.G2PEntry[], m: G2PModelSettings, beamSize: number): Promise<void> {
    const few = entries.slice(0, 4);
    const vocabs = wr.data.g2pVocabs(few);
    const model = new wr.seq2seq.Seq2Seq(ctx, {
      srcVocabSize: vocabs.graphemes.size, tgtVocabSize: vocabs.phonemes.size, embedSize: 8, hiddenSize: 8, numLayers: m.numLayers, attention: m.attention, seed: 0,
    });
    const opt = new wr.optim.Adam(model.parameters(), { lr: 0.01 });
    try {
      const [batch] = wr.data.g2pBatches(few, vocabs, { batchSize: few.length });
      const loss = wr.seq2seq.seq2seqStep(model, opt, batch!, { pad: PAD, clip: 1 });
      await loss.read();
      loss.dispose();
      await wr.seq2seq.evaluateG2P(model, few, vocabs, { beamSize });
      const [hyp] = await wr.seq2seq.transcribe(model, vocabs, [few[0]!.word], { beamSize });
      await wr.seq2seq.attentionMap(model, vocabs, few[0]!.word, hyp!);
    } catch {
      /* only an optimisation: Start reports what is wrong */
    } finally {
      opt.dispose();
      model.dispose();
    }
  }

  private modelInfo(): G2PModelInfo | null {
    const m = this.model;
    if (!m || !this.vocabs) return null;
    const c = m.config;
    return {
      embedSize: c.embedSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, attention: c.attention,
      graphemes: this.vocabs.graphemes.size, phonemes: this.vocabs.phonemes.size, origin: this.origin,
    };
  }

  private disposeModel(): void {
    this.optimizer?.dispose();
    this.optimizer = null;
    this.model?.dispose();
    this.model = null;
    this.vocabs = null;
    this.origin = '';
    this.split = null;
    this.run = null;
    this.epochsTrained = 0;
  }

  private stopped(error: string | null): void {
    const runComplete = this.run === null || this.run.done >= this.run.target;
    this.post({ type: 'g2p-stopped', model: this.modelInfo(), runComplete, epochsTrained: this.epochsTrained, error });
  }

  /** The split for the form's data settings, in the model's vocabularies (a loaded model keeps its own). */
  private splitFor(s: G2PTrainSettings, vocabs: wr.data.G2PVocabs | null): { split: Split; vocabs: wr.data.G2PVocabs } {
    if (!this.dict) throw new Error('the bundled dictionary is still loading: try again in a moment');
    const stress = vocabs ? hasStress(vocabs.phonemes) : s.data.stress;
    const entries = parseDict(this.dict, stress);
    return { split: pickSplit(entries, s.data), vocabs: vocabs ?? wr.data.g2pVocabs(entries) };
  }

  private async start(s: G2PTrainSettings): Promise<void> {
    await this.warmingUp;
    const ctx = this.context();
    if (!ctx || this.training) return;
    let createdHere = false;
    try {
      if (!this.model) {
        const { split, vocabs } = this.splitFor(s, null);
        const m = s.model;
        this.model = new wr.seq2seq.Seq2Seq(ctx, {
          srcVocabSize: vocabs.graphemes.size, tgtVocabSize: vocabs.phonemes.size,
          embedSize: m.embedSize, hiddenSize: m.hiddenSize, numLayers: m.numLayers, attention: m.attention, seed: s.data.seed,
        });
        await ctx.checkErrors();
        this.vocabs = vocabs;
        this.split = split;
        this.origin = `trained on ${split.trainWords.toLocaleString('en-US')} CMUdict words`;
        this.epochsTrained = 0;
        createdHere = true;
      } else if (!this.split) {
        this.split = this.splitFor(s, this.vocabs).split; // a loaded model: train it on the form's words
      }
      if (!this.optimizer) this.optimizer = new wr.optim.Adam(this.model.parameters(), { lr: s.lr });
      this.optimizer.lr = s.lr;
    } catch (e) {
      if (createdHere) this.disposeModel();
      this.stopped(describeError(e));
      return;
    }
    this.settings = s;
    if (!this.run || this.run.done >= this.run.target) {
      this.run = { target: s.epochs, done: 0, batches: null, next: 0, lossSum: 0, steps: 0, seconds: 0 };
    } else {
      this.run.target = Math.max(this.run.done + 1, s.epochs);
    }
    const training = newTraining();
    this.training = training;
    training.done = this.trainLoop(ctx, training, s).finally(() => (this.training = null));
    await training.done;
  }

  private async trainLoop(ctx: wr.Context, training: { abort: AbortController; resetting: boolean }, s: G2PTrainSettings): Promise<void> {
    const model = this.model!;
    const vocabs = this.vocabs!;
    const split = this.split!;
    const opt = this.optimizer!;
    const run = this.run!;
    const signal = training.abort.signal;
    const batchesOf = (epoch: number) => wr.data.g2pBatches(split.train, vocabs, { batchSize: s.batchSize, seed: s.data.seed + epoch });
    const stream = new LossStream((losses) => {
      if (run.batches) this.post({ type: 'g2p-progress', step: run.next, batches: run.batches.length });
      if (losses.length) this.post({ type: 'g2p-losses', points: losses });
    });
    const flush = (force: boolean) => stream.flush(force);
    const splitInfo = `${split.trainWords.toLocaleString('en-US')} training words (${split.train.length.toLocaleString('en-US')} pronunciations), ${split.validWords} validation words`;
    let error: string | null = null;
    // Losses are read two steps behind, so the GPU always has the next step queued and Pause follows it closely.
    const pending: { loss: wr.Tensor; x: number; step: number }[] = [];
    const readOldest = async () => {
      const { loss, x, step } = pending.shift()!;
      const value = (await loss.read())[0]!;
      loss.dispose();
      if (!Number.isFinite(value)) throw new wr.NonFiniteLossError(Math.floor(this.epochsTrained) + 1, step, value);
      run.lossSum += value;
      stream.push(x, value);
    };
    try {
      while (run.done < run.target && !signal.aborted) {
        if (!run.batches) {
          run.batches = batchesOf(Math.floor(this.epochsTrained));
          run.next = 0;
          run.lossSum = 0;
          run.steps = 0;
          run.seconds = 0;
        }
        const batches = run.batches;
        this.post({ type: 'g2p-training', epoch: run.done + 1, target: run.target, batches: batches.length, model: this.modelInfo()!, split: splitInfo });
        const began = performance.now();
        model.train();
        while (run.next < batches.length && !signal.aborted) {
          const b = batches[run.next]!;
          const loss = wr.seq2seq.seq2seqStep(model, opt, b, { pad: PAD, clip: s.clip });
          run.next++;
          run.steps++;
          pending.push({ loss, x: this.epochsTrained + run.next / batches.length, step: run.next });
          if (pending.length > 2) await readOldest();
          flush(false);
          await yieldToEventLoop();
        }
        while (pending.length) await readOldest();
        run.seconds += (performance.now() - began) / 1000;
        flush(true);
        if (run.next < batches.length || training.resetting) break; // paused mid-epoch: Resume continues here
        run.done++;
        this.epochsTrained = Math.floor(this.epochsTrained) + 1;
        const point: G2PEpochPoint = { x: this.epochsTrained, loss: run.lossSum / Math.max(1, run.steps), per: NaN, wer: NaN };
        const r = await this.predicting.track(wr.seq2seq.evaluateG2P(model, split.valid, vocabs, { beamSize: s.beamSize }));
        point.per = r.per;
        point.wer = r.wer;
        const samples = await this.predicting.track(this.samples(model, vocabs, split, s.beamSize));
        this.post({ type: 'g2p-epoch', point, seconds: run.seconds, epochsTrained: this.epochsTrained, samples });
        run.batches = null;
      }
    } catch (e) {
      for (const p of pending) p.loss.dispose();
      error = describeError(e);
      run.target = run.done; // nothing to resume after an error
      run.batches = null;
    }
    flush(true);
    if (this.epochsTrained === 0 && run.next === 0 && error !== null) {
      await this.predicting.settled();
      this.disposeModel();
    }
    this.stopped(error);
  }

  private async samples(model: wr.seq2seq.Seq2Seq, vocabs: wr.data.G2PVocabs, split: Split, beamSize: number): Promise<G2PSample[]> {
    const refs = wr.data.g2pReferences(split.valid);
    const words = [...refs.keys()].slice(0, SAMPLE_WORDS);
    const hyps = await wr.seq2seq.transcribe(model, vocabs, words, { beamSize });
    return words.map((word, i) => ({ word, hyp: hyps[i]!, refs: refs.get(word)! }));
  }

  private async reset(): Promise<void> {
    await stopForReset(this.training);
    await this.predicting.settled();
    this.disposeModel();
    this.post({ type: 'g2p-reset-done' });
  }

  private async transcribe(id: number, text: string, beamSize: number): Promise<void> {
    const model = this.model;
    const vocabs = this.vocabs;
    if (!model || !vocabs) {
      this.post({ type: 'g2p-transcribe-error', id, message: 'There is no G2P model yet: train one or load a model file first' });
      return;
    }
    const word = wordForModel(text, vocabs.graphemes);
    if (word instanceof Error) {
      this.post({ type: 'g2p-transcribe-error', id, message: word.message });
      return;
    }
    try {
      const work = (async () => {
        const [phonemes] = await wr.seq2seq.transcribe(model, vocabs, [word], { beamSize });
        const weights = await wr.seq2seq.attentionMap(model, vocabs, word, phonemes!);
        return { phonemes: phonemes!, weights: weights ? weights.map((row) => Array.from(row)) : null };
      })();
      const { phonemes, weights } = await this.predicting.track(work);
      this.post({ type: 'g2p-transcribed', id, word, graphemes: Array.from(word), phonemes, weights });
    } catch (e) {
      this.post({ type: 'g2p-transcribe-error', id, message: describeError(e) });
    }
  }

  private async save(): Promise<void> {
    const m = this.model;
    const vocabs = this.vocabs;
    if (!m || !vocabs || this.training) {
      this.post({ type: 'g2p-save-failed', message: 'Could not save the model: there is none, or it is training' });
      return;
    }
    const saved = await encodeForSave(this.predicting, 'the model', () => wr.seq2seq.saveG2PModel(m, vocabs));
    if ('failed' in saved) {
      this.post({ type: 'g2p-save-failed', message: saved.failed });
      return;
    }
    const c = m.config;
    const name = `webrnn-g2p-${c.attention ? 'attention-' : ''}${c.numLayers > 1 ? `${c.numLayers}x` : ''}${c.hiddenSize}.safetensors`;
    this.post({ type: 'g2p-saved', bytes: saved.buffer, filename: name }, [saved.buffer]);
  }

  private async load(name: string, bytes: ArrayBuffer): Promise<void> {
    const ctx = this.context();
    if (!ctx || this.training) {
      this.post({ type: 'g2p-load-failed', message: 'Pause the training before loading a model.' });
      return;
    }
    let candidate: wr.seq2seq.Seq2Seq | null = null;
    try {
      const loaded = wr.seq2seq.loadG2PModel(ctx, new Uint8Array(bytes));
      candidate = loaded.model;
      await ctx.checkErrors();
      if (this.training) throw new Error('training started while loading');
      await this.predicting.settled();
      this.disposeModel();
      this.model = candidate;
      candidate = null;
      this.vocabs = loaded.vocabs;
      this.origin = `loaded from ${name}`;
      const c = loaded.config;
      const info = this.modelInfo()!;
      this.post({
        type: 'g2p-loaded',
        model: info,
        message: `Loaded ${name}: ${c.attention ? 'attention' : 'no attention'}, ${c.numLayers} layer${c.numLayers > 1 ? 's' : ''}, ` +
          `embedding ${c.embedSize}, hidden size ${c.hiddenSize}, ${info.graphemes} graphemes and ${info.phonemes} phonemes from the file.`,
      });
    } catch (e) {
      candidate?.dispose();
      this.post({ type: 'g2p-load-failed', message: loadFailure(name, e, this.model !== null) });
    }
  }
}
