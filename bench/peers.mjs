// `npm run bench:peers`: bundles bench/peers.ts (webrnn and TF.js's WebGPU backend side by side, bench/build.mjs)
// and runs it in Node on Dawn. Arguments are passed on (--json FILE).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNode, cacheDir } from './build.mjs';

// SwiftShader probes for a Wayland socket and complains when XDG_RUNTIME_DIR is unset: give it an empty one.
const xdg = process.env.XDG_RUNTIME_DIR ? null : mkdtempSync(join(tmpdir(), 'webrnn-bench-xdg-'));
const env = xdg ? { ...process.env, XDG_RUNTIME_DIR: xdg } : process.env;
let code = 1;
try {
  const started = performance.now();
  const bundle = await buildNode(join(cacheDir, 'peers'), 'peers.mjs', { entry: 'bench/peers.ts' });
  console.log(`bench:peers: bundled in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  code = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, ...process.argv.slice(2)], { stdio: 'inherit', env });
    child.on('error', reject);
    child.on('exit', (status, signal) => resolve(signal ? 1 : status ?? 1));
  });
} catch (e) {
  console.error(`bench:peers: ${e?.stack ?? e}`);
} finally {
  if (xdg) rmSync(xdg, { recursive: true, force: true });
}
process.exit(code);
