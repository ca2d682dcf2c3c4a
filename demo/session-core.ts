// What both tabs' training sessions share: the PageState and what the page knows of the engine's model and run,
// how Start reads the form, how a model file is sent, how the engine's training answers move the state and the
// charts, and the buttons and status lines that follow the phase. Each tab adds its own requests and outputs.
import type { TrainingHistory } from './chart-history.js';
import { clearMessage, describeError, download, fmtEpochs, fmtInt, showMessage } from './dom.js';
import { PageState, controlsFor, type Controls, type Phase } from './state.js';
import { CHECKPOINT_LIMITS } from '../src/lm/checkpoint.js';

export interface RunInfo {
  epoch: number;
  target: number;
  batches: number;
  step: number;
}

/** The buttons every tab has; `generate` is the one that uses the model (Generate, Transcribe). */
export interface SessionControls {
  start: HTMLButtonElement;
  pause: HTMLButtonElement;
  reset: HTMLButtonElement;
  save: HTMLButtonElement;
  generate: HTMLButtonElement;
  loadFile: HTMLInputElement;
  loadLabel: HTMLElement;
  /** Fields that change the architecture (locked while a model exists). */
  architecture: readonly (HTMLInputElement | HTMLSelectElement)[];
  archHint: HTMLElement;
  status: HTMLElement;
}

/** The tab's own status lines, for the phases whose words differ. */
export interface StatusWords<R> {
  unavailable: string;
  idle: string;
  training(run: R, origin: string): string;
  /** 'ready' with a model that was not trained here to the end of a run. */
  readyModel(origin: string): string;
  /** Epochs that Train more adds (the form's field). */
  moreEpochs(): string;
}

export abstract class SessionCore<M extends { origin: string }, P, R extends RunInfo = RunInfo> {
  readonly state = new PageState();
  protected model: M | null = null;
  protected epochsTrained = 0;
  protected run: R | null = null;
  /** The target of the run that finished, for the status line (null: the model came from a file). */
  protected finishedTarget: number | null = null;

  protected constructor(private readonly history: TrainingHistory<P>) {}

  get hasModel(): boolean {
    return this.model !== null;
  }

  protected get controls(): Controls {
    return controlsFor(this.state.phase, this.hasModel);
  }

  /** Clears what the tab shows of the model (samples, transcriptions) when the model goes. */
  protected abstract clearOutputs(): void;

  /** Start: the form's settings (null, with the bad field named, when one is wrong), the state moved to training. */
  protected beginStart<S>(read: () => S): S | null {
    if (!this.controls.start) return null;
    clearMessage();
    let settings: S;
    try {
      settings = read();
    } catch (e) {
      showMessage(describeError(e));
      return null;
    }
    if (!this.model) {
      this.history.clear();
      this.clearOutputs();
    }
    this.run = null;
    this.state.next('start');
    return settings;
  }

  /** Sends a model file's bytes, once the phase allows a load and the file is within the checkpoint limit. */
  protected async sendModelFile(file: File, refused: { pause: string; unavailable: string }, send: (bytes: ArrayBuffer) => void): Promise<void> {
    if (!this.controls.load) {
      const busy = this.state.phase === 'training' || this.state.phase === 'pausing';
      showMessage(busy ? refused.pause : refused.unavailable);
      return;
    }
    if (file.size > CHECKPOINT_LIMITS.fileBytes) {
      showMessage(`Could not load ${file.name}: it is ${fmtInt.format(file.size)} bytes, over the ${fmtInt.format(CHECKPOINT_LIMITS.fileBytes)}-byte limit for a model file.`);
      return;
    }
    this.state.next('load');
    try {
      const bytes = await file.arrayBuffer();
      send(bytes);
    } catch (e) {
      showMessage(`Could not read ${file.name}: ${describeError(e)}`);
      this.state.next('done');
    }
  }

  protected onTraining(model: M, run: Omit<R, 'step'>): void {
    this.model = model;
    this.run = { ...run, step: this.run?.epoch === run.epoch ? this.run.step : 0 } as R;
    this.history.setModelEpochs(true, this.epochsTrained);
  }

  protected onProgress(step: number, batches: number): void {
    if (this.run) this.run.step = step;
    this.history.setProgress(step, batches);
  }

  protected onEpoch(epochsTrained: number, point: P, seconds: number, show: () => void = () => {}): void {
    this.epochsTrained = epochsTrained;
    this.history.addEpoch(point, seconds);
    show();
    this.history.setProgress(0, 1);
  }

  protected onStopped(e: { model: M | null; epochsTrained: number; error?: string | null; runComplete: boolean }): void {
    this.model = e.model;
    this.epochsTrained = e.epochsTrained;
    this.history.setProgress(0, 1);
    if (e.error) showMessage(e.error);
    this.finishedTarget = e.runComplete && this.run ? this.run.target : null;
    if (!this.model) this.state.next('stopped-idle');
    else this.state.next(e.runComplete ? 'stopped-ready' : 'stopped-paused');
    this.history.setModelEpochs(this.model !== null, this.epochsTrained);
  }

  protected onSaved(bytes: ArrayBuffer, filename: string, what: string): void {
    download(bytes, filename);
    showMessage(`Saved ${fmtInt.format(bytes.byteLength)} bytes${what}.`, 'success');
    this.state.next('done');
  }

  /** A save or a load the engine refused. */
  protected onFailed(message: string): void {
    showMessage(message);
    this.state.next('done');
  }

  protected onLoaded(model: M, epochsTrained: number): void {
    this.model = model;
    this.run = null;
    this.finishedTarget = null;
    this.history.clear();
    this.clearOutputs();
    this.epochsTrained = epochsTrained;
    this.history.setModelEpochs(true, epochsTrained);
  }

  protected onResetDone(): void {
    this.model = null;
    this.run = null;
    this.epochsTrained = 0;
    this.history.clear();
    this.clearOutputs();
    clearMessage();
    this.history.setModelEpochs(false, 0);
    this.state.next('reset-done');
  }

  /** Buttons, locked fields, the architecture hint and the status line for the phase; returns the phase. */
  protected renderControls(c: SessionControls, archHint: string, words: StatusWords<R>): Phase {
    const phase = this.state.phase;
    const allowed = this.controls;
    c.start.disabled = !allowed.start;
    c.start.textContent = allowed.startLabel;
    c.pause.disabled = !allowed.pause;
    c.reset.disabled = !allowed.reset;
    c.save.disabled = !allowed.save;
    c.generate.disabled = !allowed.generate;
    c.loadFile.disabled = !allowed.load;
    c.loadLabel.classList.toggle('disabled', !allowed.load);
    for (const input of c.architecture) input.disabled = !allowed.architecture;
    c.archHint.textContent = archHint;
    c.status.textContent = this.statusText(words);
    return phase;
  }

  private statusText(words: StatusWords<R>): string {
    const origin = this.model?.origin ?? '';
    switch (this.state.phase) {
      case 'starting': return 'Starting…';
      case 'unavailable': return words.unavailable;
      case 'idle': return words.idle;
      case 'training': return this.run ? words.training(this.run, origin) : 'Starting the training…';
      case 'pausing': return 'Pausing after this step…';
      case 'resetting': return 'Stopping…';
      case 'saving':
      case 'loading': return 'Working…';
      case 'paused': return `Paused after ${fmtEpochs(this.epochsTrained)} epochs: Resume continues the same model (${origin}).`;
      case 'ready':
        return this.finishedTarget !== null
          ? `Finished ${this.finishedTarget} epochs (${origin}): Train more adds ${words.moreEpochs()} epochs to the same model.`
          : words.readyModel(origin);
    }
  }
}
