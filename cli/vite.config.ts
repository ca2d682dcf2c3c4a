// Bundles the command-line trainer for Node (WGSL inlined, 'webgpu' and node: built-ins external), into
// cli-dist/ for `npm run train`, or into .gpu/app/ (CLI_OUT=.gpu/app) for a GPU server without a network.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export default defineConfig({
  root,
  publicDir: false,
  logLevel: 'warn',
  build: {
    ssr: resolve(root, 'cli/train.ts'),
    outDir: resolve(root, process.env.CLI_OUT ?? 'cli-dist'),
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    rolldownOptions: {
      external: ['webgpu', /^node:/],
      output: { entryFileNames: 'train.mjs' },
    },
  },
  ssr: { noExternal: ['cli-progress'] },
});
