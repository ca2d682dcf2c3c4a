// `npm run bench`: bundles the bench (bench/build.mjs), runs every suite of bench/suites/ in Node (Dawn) and then
// in headless Chromium (the system one, scripts/chromium.js), and prints what each measured on its adapter.
//   npm run bench [-- [--node | --browser] [--json FILE] [suite ...]]
// --json FILE writes every figure as JSON ({ node, browser }); suite names pick sections (default: all).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { buildNode, buildWeb } from './build.mjs';
import { chromiumArgs, chromiumPath } from '../scripts/chromium.js';

const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args.splice(jsonAt, 2)[1] : undefined;
const nodeOnly = args.includes('--node');
const browserOnly = args.includes('--browser');
const unknownFlags = args.filter((a) => a.startsWith('-') && a !== '--node' && a !== '--browser');
if (unknownFlags.length) {
  console.error(`bench: unknown option(s) ${unknownFlags.join(' ')}; usage: npm run bench -- [--node | --browser] [--json FILE] [suite ...]`);
  process.exit(2);
}
const suites = args.filter((a) => !a.startsWith('-'));
const results = {};
let failures = 0;

// SwiftShader probes for a Wayland socket and complains when XDG_RUNTIME_DIR is unset: give it an empty one.
const xdg = process.env.XDG_RUNTIME_DIR ? null : mkdtempSync(join(tmpdir(), 'webrnn-bench-xdg-'));
const childEnv = xdg ? { ...process.env, XDG_RUNTIME_DIR: xdg } : process.env;

try {
  const started = performance.now();
  const [nodeBundle, webDir] = await Promise.all([nodeOnly || !browserOnly ? buildNode() : null, browserOnly || !nodeOnly ? buildWeb() : null]);
  console.log(`bench: bundled in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (nodeBundle) await runNode(nodeBundle);
  if (webDir) await runBrowser(webDir);
  if (jsonFile) {
    writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`bench: figures written to ${jsonFile}`);
  }
} catch (e) {
  console.error(`bench: ${e?.stack ?? e}`);
  failures++;
} finally {
  if (xdg) rmSync(xdg, { recursive: true, force: true });
}
process.exit(failures ? 1 : 0);

async function runNode(bundle) {
  console.log('\n== Node (Dawn)');
  const dir = mkdtempSync(join(tmpdir(), 'webrnn-bench-'));
  const json = join(dir, 'node.json');
  try {
    const code = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [bundle, '--json', json, ...suites], { stdio: 'inherit', env: childEnv });
      child.on('error', reject);
      child.on('exit', (status, signal) => resolve(signal ? `signal ${signal}` : status));
    });
    if (code !== 0) {
      console.log(`bench: the Node run failed (${typeof code === 'number' ? `exit status ${code}` : code})`);
      failures++;
    }
    try {
      results.node = JSON.parse(readFileSync(json, 'utf8'));
    } catch {
      // no figures: the failure is reported above
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runBrowser(webDir) {
  console.log('\n== Browser (headless Chromium)');
  const server = await serve(webDir);
  const { chromium } = await import('playwright');
  // Developer features: timestamp queries at full resolution (Chromium rounds them to 100 µs otherwise).
  const args = [...chromiumArgs, '--enable-webgpu-developer-features'];
  const browser = await chromium.launch({ executablePath: chromiumPath(), args, headless: true, env: childEnv });
  try {
    const page = await browser.newPage();
    const records = [];
    let settle;
    const done = new Promise((resolve) => (settle = resolve));
    await page.exposeFunction('__benchLog', (line, record) => {
      console.log(line);
      if (record) records.push(record);
    });
    await page.exposeFunction('__benchDone', (result) => settle(result));
    page.on('pageerror', (e) => settle({ failed: [], error: `page error: ${e.stack ?? e.message}` }));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') console.log(`   [console.${m.type()}] ${m.text()}`);
    });
    // The page has no environment: the variables the suites read travel in the query.
    const params = new URLSearchParams();
    if (suites.length) params.set('suites', suites.join(','));
    for (const name of ['WEBRNN_BENCH_PART']) if (process.env[name]) params.set(name, process.env[name]);
    const query = params.size ? `?${params}` : '';
    await page.goto(`${server.url}/index.html${query}`);
    const timeout = new Promise((resolve) => setTimeout(() => resolve({ failed: [], error: 'timed out after 10 minutes' }), 600_000).unref());
    const result = await Promise.race([done, timeout]);
    if (result.error) {
      console.log(`bench: the browser run failed: ${result.error}`);
      failures++;
    } else if (result.failed.length) {
      console.log(`failed suites: ${result.failed.join(', ')}`);
      failures++;
    }
    results.browser = { runtime: 'browser', userAgent: await page.evaluate(() => navigator.userAgent), records };
  } finally {
    await browser.close();
    server.close();
  }
}

/** A static file server for the built page on 127.0.0.1 (an ephemeral port). */
async function serve(dir) {
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json' };
  const server = createServer((req, res) => {
    const path = normalize(join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    if (!path.startsWith(dir + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = readFileSync(path);
      res
        .writeHead(200, {
          'content-type': types[extname(path)] ?? 'application/octet-stream',
          'cache-control': 'no-store',
          // Cross-origin isolation: performance.now() at full resolution in Chromium.
          'cross-origin-opener-policy': 'same-origin',
          'cross-origin-embedder-policy': 'require-corp',
        })
        .end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve, reject) => server.listen(0, '127.0.0.1', resolve).on('error', reject));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}
