// The greedy samples refreshed every epoch, and the Generate box: temperature, top-k, top-p and a seed, the text
// shown piece by piece as the engine streams it. A new Generate supersedes one still running.
import { describeError, el, showMessage } from './dom.js';
import { readGenerateSettings, readSampleSettings } from './form.js';
import type { EngineEvent, Request } from './protocol.js';

export class Generation {
  private id = 0;

  constructor(private readonly post: (r: Request) => void, private readonly canGenerate: () => boolean) {
    el.generate.addEventListener('click', () => this.generate());
    el.genPrefix.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.generate();
    });
  }

  generate(): void {
    if (!this.canGenerate()) return;
    let settings;
    try {
      settings = readGenerateSettings();
    } catch (e) {
      showMessage(describeError(e));
      return;
    }
    const id = ++this.id;
    el.genOutput.dataset.state = 'running';
    this.show(settings.prefix, '');
    this.post({ type: 'generate', id, settings });
  }

  refreshSamples(): void {
    this.post({ type: 'samples', samples: readSampleSettings() });
  }

  handle(e: EngineEvent): void {
    if (e.type === 'samples') this.renderSamples(e.items);
    if ((e.type !== 'gen-text' && e.type !== 'gen-done' && e.type !== 'gen-error') || e.id !== this.id) return;
    if (e.type === 'gen-text') {
      el.genOutput.append(document.createTextNode(e.piece));
    } else if (e.type === 'gen-done') {
      const prefix = el.genOutput.querySelector('b')?.textContent ?? '';
      this.show(prefix, e.text.slice(prefix.length));
      el.genOutput.dataset.state = 'done';
    } else {
      el.genOutput.dataset.state = 'failed';
      showMessage(e.message);
    }
  }

  clear(): void {
    this.id++;
    el.samples.replaceChildren();
    el.genOutput.replaceChildren();
    delete el.genOutput.dataset.state;
  }

  private show(prefix: string, rest: string): void {
    const b = document.createElement('b');
    b.textContent = prefix;
    el.genOutput.replaceChildren(b, document.createTextNode(rest));
  }

  private renderSamples(items: { prefix: string; text: string | null; error: string | null }[]): void {
    el.samples.replaceChildren(
      ...items.map(({ prefix, text, error }) => {
        const li = document.createElement('li');
        li.dataset.prefix = prefix;
        if (text === null) {
          li.classList.add('bad');
          li.textContent = `${prefix}: ${error}`;
        } else {
          const b = document.createElement('b');
          b.textContent = prefix;
          li.append(b, document.createTextNode(text.slice(prefix.length)));
        }
        return li;
      }),
    );
  }
}
