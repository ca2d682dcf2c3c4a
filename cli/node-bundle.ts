// The Vite config of a command line bundled for Node (WGSL inlined, 'webgpu' and node: built-ins external), shared
// by cli/vite.config.ts and examples/vite.config.ts.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface NodeBundle {
  /** The entry point, relative to the repository root. */
  entry: string;
  /** The output folder, relative to the repository root. */
  outDir: string;
  /** The bundle's file name in outDir. */
  fileName: string;
  /** Packages to inline rather than leave external. */
  noExternal?: string[];
}

export function nodeBundleConfig({ entry, outDir, fileName, noExternal }: NodeBundle): UserConfig {
  return defineConfig({
    root,
    publicDir: false,
    logLevel: 'warn',
    build: {
      ssr: resolve(root, entry),
      outDir: resolve(root, outDir),
      emptyOutDir: false,
      target: 'node20',
      minify: false,
      rolldownOptions: {
        external: ['webgpu', /^node:/],
        output: { entryFileNames: fileName },
      },
    },
    ...(noExternal ? { ssr: { noExternal } } : {}),
  });
}
