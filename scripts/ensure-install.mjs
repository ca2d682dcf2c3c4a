#!/usr/bin/env node
// The install step that `npm start`, `npm test` and `npm run bench` run first: installs the dependencies when
// node_modules is missing or older than the lock file (`npm ci`; `npm install` where there is no lock), and
// otherwise returns at once. Browsers are never downloaded: the tests and the bench use the system Chromium.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lock = join(root, 'package-lock.json');
const modules = join(root, 'node_modules');
// npm writes node_modules/.package-lock.json at the end of every install; the stamp is ours, for the rare
// install that leaves the hidden lock file untouched.
const installedMarkers = [join(modules, '.package-lock.json'), join(modules, '.webrnn-installed')];

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

function reason() {
  if (!existsSync(modules)) return 'node_modules is missing';
  const installed = Math.max(...installedMarkers.map(mtime));
  if (installed < 0) return 'node_modules has no record of a finished install';
  if (existsSync(lock) && mtime(lock) > installed) return 'package-lock.json is newer than node_modules';
  return null;
}

const why = reason();
if (why) {
  const args = existsSync(lock) ? ['ci'] : ['install'];
  args.push('--no-audit', '--no-fund');
  console.log(`ensure-install: ${why}: running npm ${args.join(' ')}`);
  const npm = process.env.npm_execpath
    ? { cmd: process.execPath, args: [process.env.npm_execpath, ...args] } // the npm that runs this script
    : { cmd: process.platform === 'win32' ? 'npm.cmd' : 'npm', args };
  const result = spawnSync(npm.cmd, npm.args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
    shell: process.platform === 'win32',
  });
  if (result.status !== 0) {
    console.error(`ensure-install: npm ${args[0]} failed (${result.error?.message ?? `exit status ${result.status}`})`);
    process.exit(result.status || 1);
  }
  const stamp = installedMarkers[1];
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  const now = new Date();
  utimesSync(stamp, now, now);
}
