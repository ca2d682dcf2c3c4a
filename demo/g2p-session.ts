// The G2P tab as the page sees it: Start / Pause / Reset / Save / Load / Transcribe send requests to the G2P
// engine, and its answers move the tab's own PageState (demo/state.ts, the char LM's machine) that every button
// and the status line follow. Transcriptions show the phonemes and the attention heat map.
import { g2pHistory } from './g2p-charts.js';
import { describeError, showMessage } from './dom.js';
import { g2pEl as el } from './g2p-dom.js';
import { applyG2PAdapterDefaults, readBeam, readG2PSettings } from './g2p-form.js';
import type { G2PEpochPoint, G2PEvent, G2PModelInfo, G2PRequest, G2PSample } from './g2p-protocol.js';
import { clearHeatmap, drawHeatmap } from './heatmap.js';
import { SessionCore, type RunInfo } from './session-core.js';

type Post = (request: G2PRequest, transfer?: Transferable[]) => void;

export class G2PSession extends SessionCore<G2PModelInfo, G2PEpochPoint, RunInfo & { split: string }> {
  private transcription = 0;
  private dataRequested = false;

  constructor(private readonly post: Post) {
    super(g2pHistory);
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
    g2pHistory.clear();
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

  private start(): void {
    const settings = this.beginStart(readG2PSettings);
    if (settings) this.post({ type: 'g2p-start', settings });
  }

  private async loadModel(file: File): Promise<void> {
    const refused = { pause: 'Pause the training before loading a model.', unavailable: 'WebGPU is unavailable, so models cannot be loaded here.' };
    await this.sendModelFile(file, refused, (bytes) => this.post({ type: 'g2p-load', name: file.name, bytes }, [bytes]));
  }

  private transcribe(): void {
    if (!this.controls.generate) return;
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

  protected clearOutputs(): void {
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
        this.onTraining(e.model, { epoch: e.epoch, target: e.target, batches: e.batches, split: e.split });
        break;
      case 'g2p-progress':
        this.onProgress(e.step, e.batches);
        break;
      case 'g2p-losses':
        g2pHistory.addLosses(e.points);
        return;
      case 'g2p-epoch':
        this.onEpoch(e.epochsTrained, e.point, e.seconds, () => this.renderSamples(e.samples));
        break;
      case 'g2p-stopped':
        this.onStopped(e);
        break;
      case 'g2p-saved':
        this.onSaved(e.bytes, e.filename, ': the G2P model with its config and both vocabularies');
        break;
      case 'g2p-save-failed':
      case 'g2p-load-failed':
        this.onFailed(e.message);
        break;
      case 'g2p-loaded':
        this.onLoaded(e.model, 0);
        el.attention.value = e.model.attention ? 'yes' : 'no';
        el.layers.value = String(e.model.numLayers);
        el.embed.value = String(e.model.embedSize);
        el.hidden.value = String(e.model.hiddenSize);
        showMessage(e.message, 'success');
        this.state.next('loaded');
        break;
      case 'g2p-reset-done':
        this.onResetDone();
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
    const m = this.model;
    const archHint = m
      ? `The model: ${m.attention ? 'attention' : 'no attention'} · ${m.numLayers} layer${m.numLayers > 1 ? 's' : ''} · embedding ${m.embedSize} · hidden ${m.hiddenSize} · ` +
        `${m.graphemes} graphemes, ${m.phonemes} phonemes (${m.origin}). Reset to change it.`
      : '';
    const controls = { ...el, generate: el.transcribe, architecture: [el.attention, el.layers, el.embed, el.hidden, el.stress] };
    const phase = this.renderControls(controls, archHint, {
      unavailable: 'WebGPU is unavailable: training and transcription are off.',
      idle: 'No model yet: choose the settings and press Start, or load a model file.',
      training: (r) => `Training epoch ${r.epoch} of ${r.target} · step ${r.step} of ${r.batches} · ${r.split}`,
      readyModel: (origin) => `Model ${origin}: transcribe words, or press Start to train it further on the bundled words.`,
      moreEpochs: () => el.epochs.value,
    });
    document.body.dataset.g2pPhase = phase;
  }
}
