// Where the engine runs: a dedicated Web Worker when the browser has WebGPU there, else (and saying so) the page's
// main thread. Either way the page talks to it with the same messages.
import type { EngineEvent, Request, TrainSettings } from './protocol.js';

export interface EngineLink {
  readonly where: 'worker' | 'main thread';
  /** Why the engine is not in a worker (null when it is). */
  readonly fallbackReason: string | null;
  post(request: Request, transfer?: Transferable[]): void;
}

/** Starts the engine and waits for its answer to 'init' (ready or unavailable), which `onEvent` also receives. */
export async function connectEngine(
  onEvent: (e: EngineEvent) => void,
  opts: { preferWorker: boolean; warmUp?: TrainSettings },
): Promise<EngineLink> {
  if (opts.preferWorker && typeof Worker !== 'undefined') {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'webrnn-training' });
    const first = await new Promise<EngineEvent | Error>((resolve) => {
      worker.onmessage = (e: MessageEvent<EngineEvent>) => resolve(e.data);
      worker.onerror = (e) => resolve(new Error(e.message || 'the worker script failed to load'));
      worker.postMessage({ type: 'init', warmUp: opts.warmUp } satisfies Request);
    });
    if (!(first instanceof Error) && first.type === 'ready') {
      worker.onmessage = (e: MessageEvent<EngineEvent>) => onEvent(e.data);
      worker.onerror = (e) => onEvent({ type: 'error', message: `The training worker failed: ${e.message}` });
      onEvent(first);
      return { where: 'worker', fallbackReason: null, post: (r, transfer) => worker.postMessage(r, transfer ?? []) };
    }
    worker.terminate();
    const reason = first instanceof Error ? `the training worker did not start (${first.message})`
      : first.type === 'unavailable' ? `this browser has no WebGPU in workers (${first.message})`
      : `the training worker answered ${first.type}`;
    return startOnPage(onEvent, reason, opts.warmUp);
  }
  return startOnPage(onEvent, opts.preferWorker ? 'this browser has no Web Workers' : 'asked for by ?worker=0', opts.warmUp);
}

async function startOnPage(onEvent: (e: EngineEvent) => void, reason: string, warmUp: TrainSettings | undefined): Promise<EngineLink> {
  const { Engine } = await import('./engine.js');
  // Events are delivered as tasks, as a worker's would be, so the page sees the same order and timing.
  const engine = new Engine((event) => setTimeout(() => onEvent(event)));
  const link: EngineLink = { where: 'main thread', fallbackReason: reason, post: (r) => engine.handle(r) };
  link.post({ type: 'init', warmUp });
  return link;
}
