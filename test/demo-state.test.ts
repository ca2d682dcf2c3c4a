// The demo page's one state (demo/state.ts): the transitions the buttons and the engine's answers make, and what
// each phase enables. Events that do not fit a phase change nothing.
import { describe, expect, it } from 'vitest';
import { PageState, controlsFor, type PhaseEvent } from '../demo/state.js';

function walk(events: PhaseEvent[]): { state: PageState; accepted: boolean[] } {
  const state = new PageState();
  return { state, accepted: events.map((e) => state.next(e)) };
}

describe('demo PageState', () => {
  it('follows a session: start, pause, resume, finish, save, load, reset', () => {
    const seen: string[] = [];
    const state = new PageState();
    state.onChange((p) => seen.push(p));
    for (const e of ['ready', 'start', 'pause', 'stopped-paused', 'start', 'stopped-ready', 'save', 'done', 'load', 'loaded', 'reset', 'reset-done'] as const) {
      expect(state.next(e), e).toBe(true);
    }
    expect(seen).toEqual(['idle', 'training', 'pausing', 'paused', 'training', 'ready', 'saving', 'ready', 'loading', 'ready', 'resetting', 'idle']);
  });

  it('returns from a failed save or load to where it started', () => {
    const { state } = walk(['ready', 'start', 'pause', 'stopped-paused', 'load']);
    expect(state.phase).toBe('loading');
    state.next('done');
    expect(state.phase).toBe('paused');
    state.next('load');
    state.next('done');
    expect(state.phase).toBe('paused');
    expect(walk(['ready', 'load', 'done']).state.phase).toBe('idle');
  });

  it('ignores events that do not fit: a double Start, Save while training, stops during a reset', () => {
    const { state, accepted } = walk(['ready', 'start', 'start', 'save', 'load', 'reset', 'stopped-paused']);
    expect(accepted).toEqual([true, true, false, false, false, true, true]);
    expect(state.phase).toBe('resetting');
    expect(walk(['unavailable', 'start', 'load']).state.phase).toBe('unavailable');
    expect(new PageState().next('start')).toBe(false);
  });

  it('enables the buttons each phase allows', () => {
    expect(controlsFor('idle', false)).toEqual({ start: true, startLabel: 'Start', pause: false, reset: false, save: false, load: true, generate: false, architecture: true });
    expect(controlsFor('training', true)).toMatchObject({ start: false, startLabel: 'Training…', pause: true, reset: true, save: false, load: false, generate: true, architecture: false });
    expect(controlsFor('pausing', true)).toMatchObject({ pause: false, reset: true });
    expect(controlsFor('paused', true)).toMatchObject({ start: true, startLabel: 'Resume', save: true, load: true });
    expect(controlsFor('ready', true)).toMatchObject({ start: true, startLabel: 'Train more', save: true });
    for (const phase of ['starting', 'unavailable', 'saving', 'loading', 'resetting'] as const) {
      expect(controlsFor(phase, false)).toMatchObject({ start: false, pause: false, save: false, load: false, generate: false });
    }
  });
});
