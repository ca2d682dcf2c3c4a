// Bundles the bench with Vite (the WGSL inlined through src's `?raw` imports; the root vite.config.ts, which is
// the library's, is not used):
//   node: bench/node.ts    -> one ES module for Node, 'webgpu' and node: builtins external (SSR build)
//   web:  bench/browser.ts -> one ES module for a page (+ index.html), served by bench/run.mjs
// `node bench/build.mjs --gpu` (npm run bench:gpu-bundle) writes .gpu/app/bench.mjs for a Linux machine with an
// NVIDIA GPU and no network: with ../shared/tools/gpu-prep run once in the checkout, there
//   source .gpu/setup.sh && node .gpu/app/bench.mjs [suite ...]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const cacheDir = join(root, 'node_modules/.cache/webrnn-bench');

const common = {
  configFile: false,
  root,
  publicDir: false,
  logLevel: 'warn',
  envDir: false,
};

/**
 * Writes `${outDir}/${fileName}`, a self-contained ES module for Node, and returns its path. `entry`: bench/node.ts
 * (the bench) or bench/peers.ts (the peers suite, `npm run bench:peers`).
 */
export async function buildNode(outDir = join(cacheDir, 'node'), fileName = 'bench.mjs', { emptyOutDir = true, entry = 'bench/node.ts' } = {}) {
  await build({
    ...common,
    build: {
      ssr: join(root, entry),
      outDir,
      emptyOutDir,
      target: 'node20',
      minify: false,
      sourcemap: false,
      copyPublicDir: false,
      rolldownOptions: {
        external: ['webgpu', /^node:/],
        output: { format: 'es', entryFileNames: fileName, codeSplitting: false },
      },
    },
    ssr: { noExternal: true, external: ['webgpu'], target: 'node' },
  });
  return join(outDir, fileName);
}

/** Writes `${outDir}/bench.js` and `${outDir}/index.html` (a plain page loading it) and returns outDir. */
export async function buildWeb(outDir = join(cacheDir, 'web')) {
  await build({
    ...common,
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: false,
      sourcemap: false,
      copyPublicDir: false,
      lib: { entry: join(root, 'bench/browser.ts'), formats: ['es'], fileName: () => 'bench.js' },
    },
  });
  writeFileSync(
    join(outDir, 'index.html'),
    `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><link rel="icon" href="data:,"><title>webrnn bench</title></head>
<body>
<h1>webrnn bench</h1>
<pre id="log"></pre>
<script type="module" src="./bench.js"></script>
</body>
</html>
`,
  );
  return outDir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  if (args.includes('--gpu')) {
    const outDir = join(root, '.gpu/app');
    mkdirSync(outDir, { recursive: true });
    const file = await buildNode(outDir, 'bench.mjs', { emptyOutDir: false }); // other programs may live there
    const peers = await buildNode(outDir, 'peers.mjs', { emptyOutDir: false, entry: 'bench/peers.ts' });
    const rel = relative(root, file);
    console.log(`wrote ${rel} and ${relative(root, peers)} (the peers suite, TF.js inside)
On this machine (once, needs Debian's package lists):  bash ../shared/tools/gpu-prep
On the GPU machine, from the checkout's root:          source .gpu/setup.sh && node ${rel}
Here, on SwiftShader:  VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node ${rel}`);
  } else {
    console.log(await buildNode());
    console.log(await buildWeb());
  }
}
