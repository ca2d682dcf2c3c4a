// The G2P tab as the page sees it: Start / Pause / Reset / Save / Load / Transcribe send requests to the G2P
// engine, and its answers move the tab's own PageState (demo/state.ts, the char LM's machine) that every button
// and the status line follow. Transcriptions show the phonemes and the attention heat map.
import { addG2PEpoch, addG2PLosses, clearG2PHistory, setG2PModelEpochs, setG2PProgress } from './g2p-charts.js';
import { clearMessage, describeError, download, fmtEpochs, fmtInt, showMessage } from './dom.js';
import { g2pEl as el } from './g2p-dom.js';
import { applyG2PAdapterDefaults, readBeam, readG2PSettings } from './g2p-form.js';
import type { G2PEvent, G2PModelInfo, G2PRequest, G2PSample } from './g2p-protocol.js';
import { clearHeatmap, drawHeatmap } from './heatmap.js';
import { PageState, controlsFor } from './state.js';
import { CHECKPOINT_LIMITS } from '../src/lm/checkpoint.js';

type Post = (request: G2PRequest, transfer?: Transferable[]) => void;

export class G2PSession {
  readonly state = new PageState();
  private model: G2PModelInfo | null = null;
  private epochsTrained = 0;
  private run: { epoch: number; target: number; batches: number; step: number; split: string } | null = null;
  private finishedTarget: number | null = null;
  private transcription = 0;
  private dataRequested = false;

  constructor(private readonly post: Post) {
    el.start.addEventListener('click', () => this.start());
    el.pause.addEventListener('click', () => this.state.next('pause') && this.post({ type: 'g2p-pause' }));
    el.reset.addEventListener('click', () => this.state.next('reset') && this.post({ type: 'g2p-reset' }));
    el.save.addEventListener('click', () => this.state.next('save') && this.post({ type: 'g2p-save' }));
    el.loadFile.addEventListener('change', () => {
      const file = el.loadFile.files?.[0];
      el.loadFile.value = '';
      if (file) void this.loadModel(file);
    });
    el.transcribe.addEventListener('click', () => this.transcribe());
    el.word.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.transcribe();
    });
    this.state.onChange(() => this.render());
    clearG2PHistory();
    this.render();
  }

  /** The engine is up: size the form to the adapter (once) and leave 'starting'. */
  engineReady(software: boolean): void {
    if (this.state.phase !== 'starting') return;
    const note = applyG2PAdapterDefaults(software);
    el.sizingNote.textContent = note ?? '';
    el.sizingNote.hidden = note === null;
    this.state.next('ready');
  }

  unavailable(): void {
    el.dataInfo.textContent = 'WebGPU is unavailable here.';
    this.state.next('unavailable');
  }

  /** The bundled words, imported the first time the tab is shown (a build-time module, ~160 KB). */
  async loadData(): Promise<void> {
    if (this.dataRequested || this.state.phase === 'unavailable') return;
    this.dataRequested = true;
    try {
      const { default: dict } = await import('virtual:cmudict-subset');
      let warmUp = null;
      try {
        const s = readG2PSettings();
        warmUp = { model: s.model, beamSize: s.beamSize };
      } catch {
        /* a bad field: no warm-up, Start will name it */
      }
      this.post({ type: 'g2p-data', dict, warmUp });
    } catch (e) {
      this.dataRequested = false;
      el.dataInfo.textContent = `Could not load the bundled words: ${describeError(e)}`;
      el.dataInfo.classList.add('bad');
    }
  }

  private get hasModel(): boolean {
    return this.model !== null;
  }

  private start(): void {
    if (!controlsFor(this.state.phase, this.hasModel).start) return;
    clearMessage();
    let settings;
    try {
      settings = readG2PSettings();
    } catch (e) {
      showMessage(describeError(e));
      return;
    }
    if (!this.model) {
      clearG2PHistory();
      this.clearOutputs();
    }
    this.run = null;
    this.state.next('start');
    this.post({ type: 'g2p-start', settings });
  }

  private async loadModel(file: File): Promise<void> {
    if (!controlsFor(this.state.phase, this.hasModel).load) {
      showMessage(this.state.phase === 'training' || this.state.phase === 'pausing' ? 'Pause the training before loading a model.' : 'WebGPU is unavailable, so models cannot be loaded here.');
      return;
    }
    if (file.size > CHECKPOINT_LIMITS.fileBytes) {
      showMessage(`Could not load ${file.name}: it is ${fmtInt.format(file.size)} bytes, over the ${fmtInt.format(CHECKPOINT_LIMITS.fileBytes)}-byte limit for a model file.`);
      return;
    }
    this.state.next('load');
    try {
      const bytes = await file.arrayBuffer();
      this.post({ type: 'g2p-load', name: file.name, bytes }, [bytes]);
    } catch (e) {
      showMessage(`Could not read ${file.name}: ${describeError(e)}`);
      this.state.next('done');
    }
  }

  private transcribe(): void {
    if (!controlsFor(this.state.phase, this.hasModel).generate) return;
    let beamSize: number;
    try {
      beamSize = readBeam();
    } catch (e) {
      showMessage(describeError(e));
      return;
    }
    const id = ++this.transcription;
    el.output.dataset.state = 'running';
    this.post({ type: 'g2p-transcribe', id, word: el.word.value, beamSize });
  }

  private clearOutputs(): void {
    this.transcription++;
    el.output.replaceChildren();
    delete el.output.dataset.state;
    el.samples.replaceChildren();
    clearHeatmap(el.heatmap);
    el.heatmapNote.hidden = false;
  }

  handle(e: G2PEvent): void {
    switch (e.type) {
      case 'g2p-data':
        el.dataInfo.textContent = e.info;
        el.dataInfo.classList.toggle('bad', e.bad);
        return;
      case 'g2p-training':
        this.model = e.model;
        this.run = { epoch: e.epoch, target: e.target, batches: e.batches, step: this.run?.epoch === e.epoch ? this.run.step : 0, split: e.split };
        setG2PModelEpochs(true, this.epochsTrained);
        break;
      case 'g2p-progress':
        if (this.run) this.run.step = e.step;
        setG2PProgress(e.step, e.batches);
        break;
      case 'g2p-losses':
        addG2PLosses(e.points);
        return;
      case 'g2p-epoch':
        this.epochsTrained = e.epochsTrained;
        addG2PEpoch(e.point, e.seconds);
        this.renderSamples(e.samples);
        setG2PProgress(0, 1);
        break;
      case 'g2p-stopped':
        this.model = e.model;
        this.epochsTrained = e.epochsTrained;
        setG2PProgress(0, 1);
        if (e.error) showMessage(e.error);
        this.finishedTarget = e.runComplete && this.run ? this.run.target : null;
        if (!this.model) this.state.next('stopped-idle');
        else this.state.next(e.runComplete ? 'stopped-ready' : 'stopped-paused');
        setG2PModelEpochs(this.model !== null, this.epochsTrained);
        break;
      case 'g2p-saved':
        download(e.bytes, e.filename);
        showMessage(`Saved ${fmtInt.format(e.bytes.byteLength)} bytes: the G2P model with its config and both vocabularies.`, 'success');
        this.state.next('done');
        break;
      case 'g2p-save-failed':
      case 'g2p-load-failed':
        showMessage(e.message);
        this.state.next('done');
        break;
      case 'g2p-loaded':
        this.model = e.model;
        this.run = null;
        this.finishedTarget = null;
        this.epochsTrained = 0;
        clearG2PHistory();
        this.clearOutputs();
        setG2PModelEpochs(true, 0);
        el.attention.value = e.model.attention ? 'yes' : 'no';
        el.layers.value = String(e.model.numLayers);
        el.embed.value = String(e.model.embedSize);
        el.hidden.value = String(e.model.hiddenSize);
        showMessage(e.message, 'success');
        this.state.next('loaded');
        break;
      case 'g2p-reset-done':
        this.model = null;
        this.run = null;
        this.epochsTrained = 0;
        clearG2PHistory();
        this.clearOutputs();
        clearMessage();
        setG2PModelEpochs(false, 0);
        this.state.next('reset-done');
        break;
      case 'g2p-transcribed':
        if (e.id === this.transcription) this.showTranscription(e.word, e.graphemes, e.phonemes, e.weights);
        return;
      case 'g2p-transcribe-error':
        if (e.id !== this.transcription) return;
        el.output.dataset.state = 'failed';
        showMessage(e.message);
        return;
    }
    this.render();
  }

  private showTranscription(word: string, graphemes: string[], phonemes: string[], weights: number[][] | null): void {
    const b = document.createElement('b');
    b.textContent = word.toLowerCase();
    el.output.replaceChildren(b, document.createTextNode(`  /${phonemes.join(' ')}/`));
    el.output.dataset.phonemes = phonemes.join(' ');
    if (weights) {
      drawHeatmap(el.heatmap, [...graphemes, '</s>'], [...phonemes, '</s>'], weights);
      el.heatmapNote.textContent = 'Attention weights of each output (rows: the phonemes, then </s>) over the input (columns: the letters, then </s>); darker = more weight.';
    } else {
      clearHeatmap(el.heatmap);
      el.heatmapNote.textContent = 'This model has no attention, so there is no heat map: its decoder sees the encoder\'s final state only.';
    }
    el.heatmapNote.hidden = false;
    el.output.dataset.state = 'done';
  }

  private renderSamples(samples: G2PSample[]): void {
    el.samples.replaceChildren(
      ...samples.map(({ word, hyp, refs }) => {
        const li = document.createElement('li');
        const right = refs.some((r) => r.join(' ') === hyp.join(' '));
        li.dataset.word = word;
        li.classList.toggle('bad', !right);
        const b = document.createElement('b');
        b.textContent = word.toLowerCase();
        li.append(b, document.createTextNode(`  /${hyp.join(' ')}/${right ? '  ✓' : `  (CMUdict: /${refs[0]!.join(' ')}/)`}`));
        return li;
      }),
    );
  }

  private render(): void {
    const phase = this.state.phase;
    const c = controlsFor(phase, this.hasModel);
    el.start.disabled = !c.start;
    el.start.textContent = c.startLabel;
    el.pause.disabled = !c.pause;
    el.reset.disabled = !c.reset;
    el.save.disabled = !c.save;
    el.transcribe.disabled = !c.generate;
    el.loadFile.disabled = !c.load;
    el.loadLabel.classList.toggle('disabled', !c.load);
    for (const input of [el.attention, el.layers, el.embed, el.hidden, el.stress]) input.disabled = !c.architecture;
    const m = this.model;
    el.archHint.textContent = m
      ? `The model: ${m.attention ? 'attention' : 'no attention'} · ${m.numLayers} layer${m.numLayers > 1 ? 's' : ''} · embedding ${m.embedSize} · hidden ${m.hiddenSize} · ` +
        `${m.graphemes} graphemes, ${m.phonemes} phonemes (${m.origin}). Reset to change it.`
      : '';
    el.status.textContent = this.statusText();
    document.body.dataset.g2pPhase = phase;
  }

  private statusText(): string {
    const origin = this.model?.origin ?? '';
    switch (this.state.phase) {
      case 'starting': return 'Starting…';
      case 'unavailable': return 'WebGPU is unavailable: training and transcription are off.';
      case 'idle': return 'No model yet: choose the settings and press Start, or load a model file.';
      case 'training': {
        const r = this.run;
        if (!r) return 'Starting the training…';
        return `Training epoch ${r.epoch} of ${r.target} · step ${r.step} of ${r.batches} · ${r.split}`;
      }
      case 'pausing': return 'Pausing after this step…';
      case 'resetting': return 'Stopping…';
      case 'saving':
      case 'loading': return 'Working…';
      case 'paused': return `Paused after ${fmtEpochs(this.epochsTrained)} epochs: Resume continues the same model (${origin}).`;
      case 'ready':
        return this.finishedTarget !== null
          ? `Finished ${this.finishedTarget} epochs (${origin}): Train more adds ${el.epochs.value} epochs to the same model.`
          : `Model ${origin}: transcribe words, or press Start to train it further on the bundled words.`;
    }
  }
}

