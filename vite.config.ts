// The library build (`npm run build`): dist/webrnn.js, one ES module with every WGSL shader inlined (src/ imports
// them with `?raw`), 'webgpu' left external; `tsc -p tsconfig.build.json` then writes dist/types/.
// Only the library lives here: the tests use vitest.config.ts, the demo demo/vite.config.ts (`vite demo` and
// `vite build demo` look for the config in demo/), the bench bench/build.mjs.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = dirname(fileURLToPath(import.meta.url));

// tsc does not copy .d.ts inputs: carry the `*.wgsl?raw` module declaration into dist/types so that consumers'
// type-checks of the emitted declarations find it.
function carryAmbientDeclarations(): Plugin {
  return {
    name: 'webrnn-carry-ambient-declarations',
    apply: 'build',
    closeBundle() {
      mkdirSync(resolve(root, 'dist/types'), { recursive: true });
      copyFileSync(resolve(root, 'src/wgsl.d.ts'), resolve(root, 'dist/types/wgsl.d.ts'));
    },
  };
}

export default defineConfig({
  root,
  publicDir: false,
  plugins: [carryAmbientDeclarations()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    minify: false,
    lib: {
      entry: resolve(root, 'src/index.ts'),
      formats: ['es'],
      fileName: () => 'webrnn.js',
    },
    rolldownOptions: {
      external: ['webgpu', /^node:/],
    },
  },
});
