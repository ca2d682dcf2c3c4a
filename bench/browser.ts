// The bench in a browser page. bench/run.mjs bundles it (bench/build.mjs), serves it on 127.0.0.1 and opens it in
// headless Chromium; the page reports through functions the runner exposes (window.__benchLog/__benchDone), and
// also prints to the console and the page, so it can be opened by hand in any WebGPU browser.
import * as wr from '../src/index.js';
import { runSuites, type BenchRecord } from './harness.js';

interface BenchHooks {
  __benchLog?: (line: string, record?: BenchRecord) => void;
  __benchDone?: (result: { failed: string[]; error?: string }) => void;
}
const hooks = globalThis as unknown as BenchHooks;

function show(line: string): void {
  console.log(line);
  const pre = document.getElementById('log');
  if (pre) pre.textContent += `${line}\n`;
}

async function main(): Promise<void> {
  const only = (new URLSearchParams(location.search).get('suites') ?? '').split(',').filter(Boolean);
  const log = (line: string, record?: BenchRecord) => {
    show(line);
    hooks.__benchLog?.(line, record);
  };
  let ctx: wr.Context | null = null;
  try {
    ctx = await wr.init({ optionalFeatures: ['timestamp-query'] }); // GPU time per step, where offered
    const { failed } = await runSuites(wr, ctx, log, { only, runtime: `${navigator.userAgent}${crossOriginIsolated ? '' : ' (not cross-origin isolated: coarse timer)'}` });
    hooks.__benchDone?.({ failed });
  } catch (e) {
    const error = (e as Error)?.stack ?? String(e);
    show(`error: ${error}`);
    hooks.__benchDone?.({ failed: [], error });
  } finally {
    ctx?.destroy();
  }
}

void main();
