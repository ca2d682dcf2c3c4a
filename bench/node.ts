// The bench in Node, on Dawn (the 'webgpu' package). Bundled by bench/build.mjs into one ES module with 'webgpu'
// external: node_modules/.cache/webrnn-bench/node/bench.mjs for `npm run bench`, .gpu/app/bench.mjs for a GPU
// machine (`npm run bench:gpu-bundle`). Arguments: suite names to run (default all), --json FILE.
import { writeFileSync } from 'node:fs';
import { createNodeGpu } from '../scripts/node-gpu.js';
import * as wr from '../src/index.js';
import { runSuites, type BenchRecord } from './harness.js';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const jsonAt = args.indexOf('--json');
  const jsonFile = jsonAt >= 0 ? args.splice(jsonAt, 2)[1] : undefined;
  const only = args.filter((a) => !a.startsWith('-'));

  const records: BenchRecord[] = [];
  const log = (line: string, record?: BenchRecord) => {
    console.log(line);
    if (record) records.push(record);
  };
  const ctx = await wr.init({ gpu: createNodeGpu(), optionalFeatures: ['timestamp-query'] }); // the context keeps the GPU object alive
  try {
    const { failed } = await runSuites(wr, ctx, log, { only, runtime: `Node ${process.version} on ${process.platform}-${process.arch} (Dawn, the 'webgpu' package)` });
    if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ runtime: 'node', adapter: ctx.adapterInfo && { ...infoFields(ctx.adapterInfo) }, records }, null, 2));
    if (failed.length) console.log(`failed suites: ${failed.join(', ')}`);
    return failed.length ? 1 : 0;
  } finally {
    ctx.destroy();
  }
}

function infoFields(info: GPUAdapterInfo) {
  return { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description };
}

main().then(
  (code) => process.exit(code), // Dawn keeps the event loop alive
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
