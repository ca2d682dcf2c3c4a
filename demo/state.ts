// The page's one state: what the engine is doing, which the buttons follow. Every change goes through `next`,
// so a click that does not fit the state (a double click, a click during a reset) changes nothing.

export type Phase =
  | 'starting' //     WebGPU and the engine are starting
  | 'unavailable' //  no WebGPU: training and generation are off
  | 'idle' //         no model yet
  | 'training'
  | 'pausing' //      asked to pause: the current step finishes
  | 'paused' //       a run is part done: Resume continues it
  | 'ready' //        a model whose run is complete (or loaded from a file): Train more, generate, save
  | 'saving'
  | 'loading'
  | 'resetting';

export type PhaseEvent =
  | 'ready' | 'unavailable' | 'start' | 'pause' | 'stopped-idle' | 'stopped-paused' | 'stopped-ready'
  | 'save' | 'load' | 'loaded' | 'done' | 'reset' | 'reset-done';

/** Where a save or a load returns to (`done`): the phase it started from. */
type Resumable = 'idle' | 'paused' | 'ready';

const TRANSITIONS: Record<Phase, Partial<Record<PhaseEvent, Phase>>> = {
  starting: { ready: 'idle', unavailable: 'unavailable' },
  unavailable: {},
  idle: { start: 'training', load: 'loading' },
  training: { pause: 'pausing', reset: 'resetting', 'stopped-idle': 'idle', 'stopped-paused': 'paused', 'stopped-ready': 'ready' },
  pausing: { reset: 'resetting', 'stopped-idle': 'idle', 'stopped-paused': 'paused', 'stopped-ready': 'ready' },
  paused: { start: 'training', reset: 'resetting', save: 'saving', load: 'loading' },
  ready: { start: 'training', reset: 'resetting', save: 'saving', load: 'loading' },
  saving: {},
  loading: { loaded: 'ready' },
  resetting: { 'reset-done': 'idle', 'stopped-idle': 'resetting', 'stopped-paused': 'resetting', 'stopped-ready': 'resetting' },
};

export class PageState {
  private current: Phase = 'starting';
  private returnTo: Resumable = 'idle';
  private readonly listeners: ((phase: Phase) => void)[] = [];

  get phase(): Phase {
    return this.current;
  }

  /** Applies an event; returns false (and changes nothing) when the event does not fit the phase. */
  next(event: PhaseEvent): boolean {
    let to: Phase | undefined;
    if (event === 'done' && (this.current === 'saving' || this.current === 'loading')) to = this.returnTo;
    else to = TRANSITIONS[this.current][event];
    if (to === undefined) return false;
    if (to === 'saving' || to === 'loading') this.returnTo = this.current as Resumable;
    this.current = to;
    for (const listener of this.listeners) listener(to);
    return true;
  }

  onChange(listener: (phase: Phase) => void): void {
    this.listeners.push(listener);
  }
}

export interface Controls {
  start: boolean;
  startLabel: 'Start' | 'Training…' | 'Resume' | 'Train more';
  pause: boolean;
  reset: boolean;
  save: boolean;
  load: boolean;
  generate: boolean;
  /** The architecture fields (cell, layers, hidden) can change only while there is no model. */
  architecture: boolean;
}

const HAS_MODEL: ReadonlySet<Phase> = new Set(['training', 'pausing', 'paused', 'ready']);

/** What each button allows in a phase (true = enabled). */
export function controlsFor(phase: Phase, hasModel: boolean): Controls {
  const busy = phase === 'training' || phase === 'pausing';
  return {
    start: phase === 'idle' || phase === 'paused' || phase === 'ready',
    startLabel: busy ? 'Training…' : phase === 'paused' ? 'Resume' : hasModel && phase !== 'idle' ? 'Train more' : 'Start',
    pause: phase === 'training',
    reset: HAS_MODEL.has(phase),
    save: phase === 'paused' || phase === 'ready',
    load: phase === 'idle' || phase === 'paused' || phase === 'ready',
    generate: HAS_MODEL.has(phase),
    architecture: !hasModel,
  };
}
