// Bundles the examples' command line (examples/cli.ts) for Node like cli/vite.config.ts does (WGSL inlined,
// 'webgpu', node: built-ins and the packages in node_modules external), into cli-dist/example.mjs for `npm run example`
// (EXAMPLE_OUT=DIR: elsewhere, for the test).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export default defineConfig({
  root,
  publicDir: false,
  logLevel: 'warn',
  build: {
    ssr: resolve(root, 'examples/cli.ts'),
    outDir: resolve(root, process.env.EXAMPLE_OUT ?? 'cli-dist'),
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    rolldownOptions: {
      external: ['webgpu', /^node:/],
      output: { entryFileNames: 'example.mjs' },
    },
  },
});
