// The webrnn demo page: pick a corpus, train a character-level RNN on the GPU, watch the loss and perplexity fall
// and the samples improve, generate text, save and load the weights. Start-up only: the training engine runs in a
// Web Worker (demo/worker.ts → demo/engine.ts); the page's modules draw what it reports and send what the user asks.
import './style.css';
import { connectEngine, type EngineLink } from './client.js';
import { CorpusPicker } from './corpus-picker.js';
import { clearHistory } from './charts.js';
import { el, showMessage } from './dom.js';
import { applyAdapterDefaults, readSettings } from './form.js';
import { Generation } from './generation.js';
import type { EngineEvent, Request } from './protocol.js';
import { Session } from './session.js';

let link: EngineLink | null = null;
const post = (r: Request, transfer?: Transferable[]) => link?.post(r, transfer);

const generation: Generation = new Generation(post, (): boolean => !el.generate.disabled);
const session: Session = new Session(post, generation);
const picker = new CorpusPicker((file) => void session.loadWeights(file));

window.addEventListener('unhandledrejection', (event) => {
  showMessage(`Unexpected error: ${event.reason instanceof Error ? event.reason.message : String(event.reason)}`);
});

function showNoWebGPU(detail: string): void {
  el.noWebGPU.hidden = false;
  el.noWebGPU.replaceChildren();
  const h = document.createElement('h2');
  h.textContent = 'This browser cannot run WebGPU here';
  const list = document.createElement('ul');
  for (const line of [
    'Chrome or Edge 113+ on Windows, macOS and ChromeOS (Android: Chrome 121+) have WebGPU on by default.',
    'Chrome on Linux: open chrome://flags, enable “Unsafe WebGPU Support” (#enable-unsafe-webgpu) and “Vulkan” (#enable-vulkan), or start it with --enable-unsafe-webgpu --enable-features=Vulkan.',
    'Safari 26+ (macOS, iOS, iPadOS 26) has WebGPU on by default; on older Safari, enable it under Develop → Feature Flags.',
    'Firefox 141+ on Windows has it on by default; elsewhere use Firefox Nightly or set dom.webgpu.enabled in about:config.',
    'Also check that hardware acceleration is on and that the GPU is not blocklisted (chrome://gpu shows why).',
  ]) {
    const li = document.createElement('li');
    li.textContent = line;
    list.append(li);
  }
  const p = document.createElement('p');
  p.className = 'detail';
  p.textContent = detail;
  el.noWebGPU.append(h, list, p);
  el.adapter.textContent = 'No WebGPU';
  el.adapter.classList.add('bad');
}

let readyResolve: (ok: boolean) => void = () => {};
const engineReady = new Promise<boolean>((resolve) => (readyResolve = resolve));

function onEvent(e: EngineEvent): void {
  switch (e.type) {
    case 'ready': {
      el.noWebGPU.hidden = true;
      el.adapter.textContent = e.adapter;
      el.adapter.classList.remove('bad');
      // The first time only: after a device loss the engine starts again, and the user's settings stay.
      if (session.state.phase === 'starting') {
        const note = applyAdapterDefaults(e.software);
        el.sizingNote.textContent = note ?? '';
        el.sizingNote.hidden = note === null;
        session.state.next('ready');
      }
      readyResolve(true);
      return;
    }
    case 'unavailable':
      showNoWebGPU(e.message);
      if (!e.noWebGPU) showMessage(`Could not start WebGPU: ${e.message}`);
      session.state.next('unavailable');
      readyResolve(false);
      return;
    case 'error':
      showMessage(e.message);
      return;
  }
  picker.handle(e);
  generation.handle(e);
  session.handle(e);
}

async function main(): Promise<void> {
  clearHistory();
  // A browser that exposes no WebGPU to the page has none for its workers either.
  if (!(navigator as Navigator & { gpu?: unknown }).gpu) {
    showNoWebGPU('this environment has no navigator.gpu');
    session.state.next('unavailable');
    await picker.connect(() => {});
    document.body.dataset.ready = 'true';
    return;
  }
  const preferWorker = new URLSearchParams(location.search).get('worker') !== '0';
  let warmUp;
  try {
    warmUp = readSettings();
  } catch {
    warmUp = undefined; // a bad field is named at Start
  }
  link = await connectEngine(onEvent, { preferWorker, warmUp });
  el.engineNote.textContent = link.fallbackReason
    ? `Training runs on the page's main thread because ${link.fallbackReason}: the page may stutter while it trains.`
    : 'Training runs in a Web Worker: the page stays responsive while the GPU works.';
  el.engineNote.dataset.where = link.where;
  const ok = await engineReady;
  if (ok) await picker.connect(post);
  else await picker.connect(() => {});
  document.body.dataset.ready = 'true';
}

void main();
