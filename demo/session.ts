// The training session as the page sees it: Start / Pause / Reset / Save / Load send requests to the engine, and
// the engine's answers move the one PageState (demo/state.ts) that every button and the status line follow.
import { addEpoch, addLosses, clearHistory, setModelEpochs, setProgress } from './charts.js';
import { clearMessage, describeError, download, el, fmtEpochs, fmtInt, showMessage } from './dom.js';
import { readSampleSettings, readSettings } from './form.js';
import type { Generation } from './generation.js';
import type { EngineEvent, ModelInfo, Request } from './protocol.js';
import { PageState, controlsFor } from './state.js';
import { CHECKPOINT_LIMITS } from '../src/lm/checkpoint.js';

type Post = (request: Request, transfer?: Transferable[]) => void;

export class Session {
  readonly state = new PageState();
  private model: ModelInfo | null = null;
  private epochsTrained = 0;
  private run: { epoch: number; target: number; batches: number; step: number } | null = null;
  /** The target of the run that finished, for the status line (null: the model came from a file). */
  private finishedTarget: number | null = null;

  constructor(private readonly post: Post, private readonly generation: Generation) {
    el.start.addEventListener('click', () => this.start());
    el.pause.addEventListener('click', () => this.state.next('pause') && this.post({ type: 'pause' }));
    el.reset.addEventListener('click', () => this.reset());
    el.save.addEventListener('click', () => this.state.next('save') && this.post({ type: 'save' }));
    el.loadFile.addEventListener('change', () => {
      const file = el.loadFile.files?.[0];
      el.loadFile.value = '';
      if (file) void this.loadWeights(file);
    });
    el.prefixes.addEventListener('change', () => {
      if ((this.state.phase === 'paused' || this.state.phase === 'ready') && this.model) this.generation.refreshSamples();
    });
    this.state.onChange(() => this.render());
    this.render();
  }

  get hasModel(): boolean {
    return this.model !== null;
  }

  private start(): void {
    if (!controlsFor(this.state.phase, this.hasModel).start) return;
    clearMessage();
    let settings;
    try {
      settings = readSettings();
    } catch (e) {
      showMessage(describeError(e));
      return;
    }
    if (!this.model) {
      clearHistory();
      this.generation.clear();
    }
    this.run = null;
    this.state.next('start');
    this.post({ type: 'start', settings, samples: readSampleSettings() });
  }

  private reset(): void {
    if (!this.state.next('reset')) return;
    this.post({ type: 'reset' });
  }

  async loadWeights(file: File): Promise<void> {
    if (this.state.phase === 'training' || this.state.phase === 'pausing') {
      showMessage('Pause the training before loading weights.');
      return;
    }
    if (!controlsFor(this.state.phase, this.hasModel).load) {
      showMessage('WebGPU is unavailable, so weights cannot be loaded here.');
      return;
    }
    if (file.size > CHECKPOINT_LIMITS.fileBytes) {
      showMessage(`Could not load ${file.name}: it is ${fmtInt.format(file.size)} bytes, over the ${fmtInt.format(CHECKPOINT_LIMITS.fileBytes)}-byte limit for a model file.`);
      return;
    }
    this.state.next('load');
    try {
      const bytes = await file.arrayBuffer();
      this.post({ type: 'load', name: file.name, bytes }, [bytes]);
    } catch (e) {
      showMessage(`Could not read ${file.name}: ${describeError(e)}`);
      this.state.next('done');
    }
  }

  handle(e: EngineEvent): void {
    switch (e.type) {
      case 'training':
        this.model = e.model;
        this.run = { epoch: e.epoch, target: e.target, batches: e.batches, step: this.run?.epoch === e.epoch ? this.run.step : 0 };
        setModelEpochs(true, this.epochsTrained);
        break;
      case 'progress':
        if (this.run) this.run.step = e.step;
        setProgress(e.step, e.batches);
        break;
      case 'losses':
        addLosses(e.points);
        return;
      case 'epoch':
        this.epochsTrained = e.epochsTrained;
        addEpoch(e.point, e.seconds);
        setProgress(0, 1);
        break;
      case 'stopped':
        this.model = e.model;
        this.epochsTrained = e.epochsTrained;
        setProgress(0, 1);
        if (e.error) showMessage(e.error);
        this.finishedTarget = e.runComplete && this.run ? this.run.target : null;
        if (!this.model) this.state.next('stopped-idle');
        else this.state.next(e.runComplete ? 'stopped-ready' : 'stopped-paused');
        setModelEpochs(this.model !== null, this.epochsTrained);
        break;
      case 'saved':
        download(e.bytes, e.filename);
        showMessage(`Saved ${fmtInt.format(e.bytes.byteLength)} bytes of weights (with the vocabulary).`, 'success');
        this.state.next('done');
        break;
      case 'save-failed':
        showMessage(e.message);
        this.state.next('done');
        break;
      case 'loaded':
        this.model = e.model;
        this.run = null;
        this.finishedTarget = null;
        clearHistory();
        this.generation.clear();
        this.epochsTrained = e.epochsTrained;
        setModelEpochs(true, e.epochsTrained);
        el.cell.value = e.model.cell;
        el.layers.value = String(e.model.numLayers);
        el.hidden.value = String(e.model.hiddenSize);
        showMessage(e.message, 'success');
        this.state.next('loaded');
        this.generation.refreshSamples();
        break;
      case 'load-failed':
        showMessage(e.message);
        this.state.next('done');
        break;
      case 'reset-done':
        this.model = null;
        this.run = null;
        this.epochsTrained = 0;
        clearHistory();
        this.generation.clear();
        clearMessage();
        setModelEpochs(false, 0);
        this.state.next('reset-done');
        break;
      default:
        return;
    }
    this.render();
  }

  private render(): void {
    const phase = this.state.phase;
    const c = controlsFor(phase, this.hasModel);
    el.start.disabled = !c.start;
    el.start.textContent = c.startLabel;
    el.pause.disabled = !c.pause;
    el.reset.disabled = !c.reset;
    el.save.disabled = !c.save;
    el.generate.disabled = !c.generate;
    el.loadFile.disabled = !c.load;
    el.loadLabel.classList.toggle('disabled', !c.load);
    for (const input of [el.cell, el.layers, el.hidden]) input.disabled = !c.architecture;
    const m = this.model;
    el.archHint.textContent = m
      ? `The model is ${m.cell.toUpperCase()} · ${m.numLayers} layer${m.numLayers > 1 ? 's' : ''} · hidden ${m.hiddenSize} (${m.origin}). Reset to change the architecture.`
      : '';
    el.status.textContent = this.statusText();
    document.body.dataset.phase = phase;
  }

  private statusText(): string {
    const origin = this.model?.origin ?? '';
    switch (this.state.phase) {
      case 'starting': return 'Starting…';
      case 'unavailable': return 'WebGPU is unavailable: training and generation are off.';
      case 'idle': return 'No model yet: choose the settings and press Start.';
      case 'training': {
        const r = this.run;
        if (!r) return 'Starting the training…';
        return `Training epoch ${r.epoch} of ${r.target}${r.batches ? ` · step ${r.step} of ${r.batches}` : ''} · ${origin}`;
      }
      case 'pausing': return 'Pausing after this step…';
      case 'resetting': return 'Stopping…';
      case 'saving':
      case 'loading': return 'Working…';
      case 'paused': return `Paused after ${fmtEpochs(this.epochsTrained)} epochs: Resume continues the same model (${origin}).`;
      case 'ready':
        return this.finishedTarget !== null
          ? `Finished ${this.finishedTarget} epochs (${origin}): Train more adds ${el.epochs.value} epochs to the same model.`
          : `Model ${origin}: generate text, or press Start to train it further.`;
    }
  }
}
