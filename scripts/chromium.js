// The system Chromium (no browser download at install): CHROMIUM_PATH, else /usr/bin/chromium.
import { existsSync } from 'node:fs';

export function chromiumPath() {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(`Chromium not found at ${path}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH`);
  }
  return path;
}

// WebGPU on without a GPU gives SwiftShader; the rest keeps a closed network quiet.
export const chromiumArgs = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
