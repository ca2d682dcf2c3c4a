// What both worker-side engines (the char LM's demo/engine.ts and the G2P tab's demo/g2p-engine.ts) share: error
// wording, yielding between steps, the throttled stream of per-step losses, the training handle that Pause and
// Reset stop, the predictions a model is not disposed under, and the saved bytes and load-failure wording.
import * as wr from '../src/index.js';

/** Per-step messages are gathered and sent at most this often, so a fast GPU does not flood the page. */
const STREAM_MS = 100;

export function describeError(e: unknown): string {
  if (e instanceof wr.GPUError) return `GPU error: ${e.message}`;
  if (e instanceof wr.NonFiniteLossError) return `${e.message}. Reset to start from fresh weights.`;
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

/** Lets other messages (Pause, Generate, a transcription) in between steps: a macrotask, without setTimeout's 4 ms clamp. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Per-step losses ([epoch position, loss]) gathered and sent with the progress at most every STREAM_MS. */
export class LossStream {
  private losses: [number, number][] = [];
  private lastSent = 0;

  constructor(private readonly send: (losses: [number, number][]) => void) {}

  push(x: number, loss: number): void {
    this.losses.push([x, loss]);
  }

  /** Sends what was gathered (with `force`, even within STREAM_MS of the last send). */
  flush(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastSent < STREAM_MS) return;
    this.lastSent = now;
    this.send(this.losses);
    this.losses = [];
  }
}

/** A run in progress: Pause aborts it; Reset marks it so that its last epoch records nothing, and waits. */
export interface Training {
  abort: AbortController;
  done: Promise<void>;
  resetting: boolean;
}

export function newTraining(): Training {
  return { abort: new AbortController(), done: Promise.resolve(), resetting: false };
}

export async function stopForReset(t: Training | null): Promise<void> {
  if (!t) return;
  t.resetting = true;
  t.abort.abort();
  await t.done;
}

/** Work that reads the model (samples, generation, saves): the model is not disposed until it has settled. */
export class InFlight {
  private all: Promise<unknown> = Promise.resolve();

  track<T>(work: Promise<T>): Promise<T> {
    this.all = Promise.all([this.all, work.catch(() => undefined)]);
    return work;
  }

  settled(): Promise<unknown> {
    return this.all;
  }
}

/** The bytes as an ArrayBuffer of their own, to transfer to the page. */
function transferable(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.byteLength === bytes.byteLength ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
}

/**
 * A model's file for the page's 'saved' message: the bytes `encode` makes (tracked as work that reads the model)
 * in a buffer of their own to transfer, or why it failed, worded for the page: "Could not save <what>: ...".
 */
export async function encodeForSave(inFlight: InFlight, what: string, encode: () => Promise<Uint8Array>):
  Promise<{ buffer: ArrayBuffer } | { failed: string }> {
  try {
    return { buffer: transferable(await inFlight.track(encode())) };
  } catch (e) {
    return { failed: `Could not save ${what}: ${describeError(e)}` };
  }
}

export function loadFailure(name: string, e: unknown, keptModel: boolean): string {
  return `Could not load ${name}: ${describeError(e).replace(/\.$/, '')}.${keptModel ? ' The current model is kept.' : ''}`;
}
