// The corpus card: the source list, the user's files (picked or dropped) and the splitting options. The page
// only fetches bytes; the engine decodes and splits them off the main thread and reports what it got.
import { BUNDLED, MAX_FILE_BYTES, fetchPresets, splitPrefixes, type CorpusMode, type CorpusSource } from './corpus.js';
import { clearMessage, describeError, el, fmtInt, showMessage } from './dom.js';
import { readMaxChars } from './form.js';
import type { EngineEvent, Request } from './protocol.js';

type Post = (request: Request, transfer?: Transferable[]) => void;

export class CorpusPicker {
  private sources: CorpusSource[] = [...BUNDLED];
  private userFile: { name: string; prefixes: string } | null = null;
  private post: Post | null = null;
  /** The source being fetched: a change of options waits for it, so it applies to the text chosen last. */
  private loading: Promise<void> = Promise.resolve();

  constructor(private readonly onWeightsFile: (file: File) => void) {
    el.corpus.addEventListener('change', () => void this.select(el.corpus.value, true));
    el.maxChars.addEventListener('change', () => this.resplit());
    el.mode.addEventListener('change', () => this.resplit());
    el.corpusFile.addEventListener('change', () => {
      const file = el.corpusFile.files?.[0];
      el.corpusFile.value = '';
      if (file) void this.readUserFile(file);
    });
    this.listenForDrops();
    this.renderOptions(BUNDLED[0]!.id);
  }

  /** Lists the textbook presets the server has and loads the initial corpus through the engine. */
  async connect(post: Post): Promise<void> {
    this.post = post;
    const presets = await fetchPresets();
    this.sources = [...presets, ...BUNDLED];
    const initial = presets.find((p) => p.id === 'jaychou') ?? BUNDLED[0]!;
    this.renderOptions(initial.id);
    await this.select(initial.id, true);
  }

  handle(e: EngineEvent): void {
    if (e.type === 'corpus') {
      el.corpusInfo.textContent = e.info;
      el.corpusInfo.classList.toggle('bad', e.bad);
    } else if (e.type === 'corpus-file') {
      clearMessage();
      this.userFile = { name: e.name, prefixes: e.prefixes };
      this.renderOptions('file');
      void this.select('file', true);
      showMessage(`Corpus: ${e.name} (${fmtInt.format(e.chars)} characters).`, 'info');
    } else if (e.type === 'corpus-file-error') {
      showMessage(e.message);
    }
  }

  private renderOptions(selected: string): void {
    el.corpus.replaceChildren();
    const group = (label: string, items: { id: string; label: string }[]) => {
      if (items.length === 0) return;
      const g = document.createElement('optgroup');
      g.label = label;
      for (const s of items) g.append(new Option(s.label, s.id));
      el.corpus.append(g);
    };
    group('Textbook corpora', this.sources.filter((s) => !BUNDLED.includes(s)));
    group('Public domain (bundled)', BUNDLED);
    if (this.userFile) group('Your file', [{ id: 'file', label: this.userFile.name }]);
    el.corpus.value = selected;
  }

  private options(): { mode: CorpusMode; maxChars: number } | null {
    try {
      return { mode: el.mode.value as CorpusMode, maxChars: readMaxChars() };
    } catch (e) {
      el.corpusInfo.textContent = describeError(e);
      el.corpusInfo.classList.add('bad');
      return null;
    }
  }

  /** Fetches the source's bytes (the user's file is already in the engine) and has the engine split them. */
  private select(id: string, applyDefaults: boolean): Promise<void> {
    const source = this.sources.find((s) => s.id === id);
    if (applyDefaults) {
      if (source) {
        el.mode.value = source.mode;
        el.prefixes.value = source.prefixes;
      } else if (id === 'file' && this.userFile) {
        el.mode.value = 'chars';
        el.prefixes.value = this.userFile.prefixes;
      }
      el.genPrefix.value = splitPrefixes(el.prefixes.value)[0] ?? '';
    }
    el.corpusInfo.textContent = 'Loading…';
    el.corpusInfo.classList.remove('bad');
    this.loading = (async () => {
      let bytes: ArrayBuffer | undefined;
      try {
        if (id !== 'file') {
          if (!source) throw new Error(`unknown corpus ${id}`);
          bytes = await source.load();
          if (el.corpus.value !== id) return; // another choice came in meanwhile
        }
      } catch (e) {
        el.corpusInfo.textContent = describeError(e);
        el.corpusInfo.classList.add('bad');
        return;
      }
      // The options as they are now (they may have changed while the text was fetched).
      const options = this.options();
      if (!this.post || !options) return;
      this.post({ type: 'corpus', id, name: this.nameOf(id), bytes, ...options }, bytes ? [bytes] : []);
    })();
    return this.loading;
  }

  private nameOf(id: string): string {
    return id === 'file' ? (this.userFile?.name ?? 'your file') : (this.sources.find((s) => s.id === id)?.label ?? id);
  }

  private resplit(): void {
    void this.loading.then(() => {
      const options = this.options();
      const id = el.corpus.value;
      if (options && this.post) this.post({ type: 'corpus', id, name: this.nameOf(id), ...options });
    });
  }

  private async readUserFile(file: File): Promise<void> {
    if (file.size > MAX_FILE_BYTES) {
      showMessage(`${file.name} is ${(file.size / 2 ** 20).toFixed(0)} MiB: the demo takes text files up to ${MAX_FILE_BYTES / 2 ** 20} MiB`);
      return;
    }
    if (!this.post) {
      showMessage('The page is still starting: try again in a moment.');
      return;
    }
    const bytes = await file.arrayBuffer();
    this.post({ type: 'corpus-file', name: file.name, bytes }, [bytes]);
  }

  /** Drag and drop anywhere on the page: .safetensors loads weights, anything else is a corpus. */
  private listenForDrops(): void {
    let depth = 0;
    document.addEventListener('dragenter', (e) => {
      e.preventDefault();
      depth++;
      el.drop.classList.add('over');
    });
    document.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) el.drop.classList.remove('over');
    });
    document.addEventListener('dragover', (e) => e.preventDefault());
    document.addEventListener('drop', (e) => {
      e.preventDefault();
      depth = 0;
      el.drop.classList.remove('over');
      const file = e.dataTransfer?.files[0];
      if (!file) return;
      if (/\.safetensors$/i.test(file.name)) this.onWeightsFile(file);
      else void this.readUserFile(file);
    });
  }
}
