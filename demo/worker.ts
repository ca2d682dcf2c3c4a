// The dedicated worker that trains: `new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })`.
// WebGPU works in workers as on the page (wr.init() uses the worker's navigator.gpu), so the engine runs here
// unchanged; the page only posts requests and draws what comes back.
import { Engine } from './engine.js';
import type { EngineEvent, Request } from './protocol.js';

interface WorkerScope {
  postMessage(message: EngineEvent, transfer: Transferable[]): void;
  onmessage: ((e: MessageEvent<Request>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const engine = new Engine((event: EngineEvent, transfer?: Transferable[]) => scope.postMessage(event, transfer ?? []));
scope.onmessage = (e: MessageEvent<Request>) => engine.handle(e.data);
