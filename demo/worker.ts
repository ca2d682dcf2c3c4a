// The dedicated worker that trains: `new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })`.
// WebGPU works in workers as on the page (wr.init() uses the worker's navigator.gpu), so the engine runs here
// unchanged; the page only posts requests and draws what comes back.
import { createEngines, type AnyEvent, type AnyRequest } from './engines.js';

interface WorkerScope {
  postMessage(message: AnyEvent, transfer: Transferable[]): void;
  onmessage: ((e: MessageEvent<AnyRequest>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const handle = createEngines((event: AnyEvent, transfer?: Transferable[]) => scope.postMessage(event, transfer ?? []));
scope.onmessage = (e: MessageEvent<AnyRequest>) => handle(e.data);
