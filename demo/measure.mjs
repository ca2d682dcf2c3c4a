// Measures what a new user sees (`node demo/measure.mjs`): the demo page with its default settings in headless
// Chromium (SwiftShader without a GPU), Start pressed, then the seconds until the first perplexity appears and
// the longest main-thread task (PerformanceObserver 'longtask') while training runs. Prints one JSON line.
//   node demo/measure.mjs [--epochs-wait N] [--timeout S]
/* global window, document, MutationObserver -- the functions passed to page.evaluate run in the page */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { chromium } from 'playwright';
import { chromiumArgs, chromiumPath } from '../scripts/chromium.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const timeoutS = arg('timeout', 400);
const rowsWanted = arg('epochs-wait', 1);

const server = await createServer({ configFile: join(root, 'demo/vite.config.ts'), server: { port: 0, host: '127.0.0.1' }, logLevel: 'warn' });
await server.listen();
const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.addInitScript(() => {
    const w = /** @type {any} */ (window);
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(server.resolvedUrls.local[0]);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
  const settings = await page.evaluate(() => {
    const v = (id) => /** @type {HTMLInputElement} */ (document.querySelector(`[data-testid="${id}"]`))?.value;
    return { corpus: v('corpus-select'), maxChars: v('max-chars'), cell: v('cell'), hidden: v('hidden'), steps: v('steps'), batch: v('batch') };
  });
  const adapter = await page.textContent('[data-testid="adapter"]');
  const clickedAt = await page.evaluate(() => {
    const w = /** @type {any} */ (window);
    w.__longTasks.length = 0;
    const log = document.querySelector('[data-testid="epoch-log"]');
    new MutationObserver(() => { if (log.children.length > 0) w.__firstRowAt ??= performance.now(); }).observe(log, { childList: true });
    /** @type {HTMLButtonElement} */ (document.querySelector('[data-testid="start"]')).click();
    return performance.now();
  });
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="epoch-log"] tr').length >= n ||
      (document.querySelector('[data-testid="message"]')?.getAttribute('data-kind') === 'error' && !document.querySelector('[data-testid="message"]')?.hidden),
    rowsWanted,
    { timeout: timeoutS * 1000, polling: 200 },
  );
  const result = await page.evaluate((t0) => {
    const tasks = /** @type {any} */ (window).__longTasks.filter((t) => t.start >= t0);
    return {
      firstPerplexitySeconds: ((/** @type {any} */ (window).__firstRowAt ?? performance.now()) - t0) / 1000,
      perplexity: document.querySelector('[data-testid="perplexity"]')?.textContent,
      message: document.querySelector('[data-testid="message"]')?.hidden ? '' : document.querySelector('[data-testid="message-text"]')?.textContent,
      longTasks: tasks.length,
      longTaskStartsAfterClickMs: tasks.map((t) => Math.round(t.start - t0)),
      longestTaskMs: tasks.reduce((m, t) => Math.max(m, t.duration), 0),
    };
  }, clickedAt);
  console.log(JSON.stringify({ adapter, settings, ...result }));
} finally {
  await browser.close();
  await server.close();
}
