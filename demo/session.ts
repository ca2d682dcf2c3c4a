// The training session as the page sees it: Start / Pause / Reset / Save / Load send requests to the engine, and
// the engine's answers move the one PageState (demo/state.ts) that every button and the status line follow.
import { history } from './charts.js';
import { el, showMessage } from './dom.js';
import { readSampleSettings, readSettings } from './form.js';
import type { Generation } from './generation.js';
import type { EngineEvent, EpochPoint, ModelInfo, Request } from './protocol.js';
import { SessionCore } from './session-core.js';

type Post = (request: Request, transfer?: Transferable[]) => void;

export class Session extends SessionCore<ModelInfo, EpochPoint> {
  constructor(private readonly post: Post, private readonly generation: Generation) {
    super(history);
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

  protected clearOutputs(): void {
    this.generation.clear();
  }

  private start(): void {
    const settings = this.beginStart(readSettings);
    if (settings) this.post({ type: 'start', settings, samples: readSampleSettings() });
  }

  private reset(): void {
    if (!this.state.next('reset')) return;
    this.post({ type: 'reset' });
  }

  async loadWeights(file: File): Promise<void> {
    const refused = { pause: 'Pause the training before loading weights.', unavailable: 'WebGPU is unavailable, so weights cannot be loaded here.' };
    await this.sendModelFile(file, refused, (bytes) => this.post({ type: 'load', name: file.name, bytes }, [bytes]));
  }

  handle(e: EngineEvent): void {
    switch (e.type) {
      case 'training':
        this.onTraining(e.model, { epoch: e.epoch, target: e.target, batches: e.batches });
        break;
      case 'progress':
        this.onProgress(e.step, e.batches);
        break;
      case 'losses':
        history.addLosses(e.points);
        return;
      case 'epoch':
        this.onEpoch(e.epochsTrained, e.point, e.seconds);
        break;
      case 'stopped':
        this.onStopped(e);
        break;
      case 'saved':
        this.onSaved(e.bytes, e.filename, ' of weights (with the vocabulary)');
        break;
      case 'save-failed':
      case 'load-failed':
        this.onFailed(e.message);
        break;
      case 'loaded':
        this.onLoaded(e.model, e.epochsTrained);
        el.cell.value = e.model.cell;
        el.layers.value = String(e.model.numLayers);
        el.hidden.value = String(e.model.hiddenSize);
        showMessage(e.message, 'success');
        this.state.next('loaded');
        this.generation.refreshSamples();
        break;
      case 'reset-done':
        this.onResetDone();
        break;
      default:
        return;
    }
    this.render();
  }

  private render(): void {
    const m = this.model;
    const archHint = m
      ? `The model is ${m.cell.toUpperCase()} · ${m.numLayers} layer${m.numLayers > 1 ? 's' : ''} · hidden ${m.hiddenSize} (${m.origin}). Reset to change the architecture.`
      : '';
    const phase = this.renderControls({ ...el, architecture: [el.cell, el.layers, el.hidden] }, archHint, {
      unavailable: 'WebGPU is unavailable: training and generation are off.',
      idle: 'No model yet: choose the settings and press Start.',
      training: (r, origin) => `Training epoch ${r.epoch} of ${r.target}${r.batches ? ` · step ${r.step} of ${r.batches}` : ''} · ${origin}`,
      readyModel: (origin) => `Model ${origin}: generate text, or press Start to train it further.`,
      moreEpochs: () => el.epochs.value,
    });
    document.body.dataset.phase = phase;
  }
}
