// The worker's two engines on one WebGPU device: the char LM's (demo/engine.ts) and the G2P tab's
// (demo/g2p-engine.ts). Requests go to the one their type names; both post to the same page.
import { Engine } from './engine.js';
import { G2PEngine } from './g2p-engine.js';
import { isG2PRequest, type G2PEvent, type G2PRequest } from './g2p-protocol.js';
import type { EngineEvent, Request } from './protocol.js';

export type AnyRequest = Request | G2PRequest;
export type AnyEvent = EngineEvent | G2PEvent;

export function createEngines(post: (event: AnyEvent, transfer?: Transferable[]) => void): (request: AnyRequest) => void {
  const engine = new Engine(post);
  const g2p = new G2PEngine(post, () => engine.context);
  return (r) => (isG2PRequest(r) ? g2p.handle(r) : engine.handle(r));
}
