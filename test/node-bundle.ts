// What the command-line tests share: the checkout's root, building a Node bundle (cli/ or examples/) the way its npm
// script does, and running it as a user would.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

/**
 * Builds `configFile` (relative to the root) into a fresh folder, which the config reads from the environment
 * variable `outEnv`, and returns the folder. It lies inside the checkout (node_modules/.cache), so the bundle
 * resolves 'webgpu' and the data packages from node_modules as the npm scripts do.
 */
export async function buildBundle(configFile: string, outEnv: string, prefix: string): Promise<string> {
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  const dir = mkdtempSync(join(root, `node_modules/.cache/${prefix}-`));
  process.env[outEnv] = dir;
  try {
    await build({ configFile: join(root, configFile), logLevel: 'error' });
  } finally {
    delete process.env[outEnv];
  }
  return dir;
}

/** Runs a bundled script with Node from the root: its exit code and stdout + stderr. */
export function runScript(script: string, args: string[], timeout: number): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [script, ...args], { cwd: root, timeout }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}
