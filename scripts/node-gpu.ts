// WebGPU for Node (Dawn, the 'webgpu' package), shared by the tests, the bench and the CLI. Without a GPU,
// Dawn is pointed at Chromium's SwiftShader Vulkan driver (Debian's chromium package ships it).
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { create } from 'webgpu';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export function createNodeGpu(): GPU {
  const driverChosen = process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES;
  if (!driverChosen && !existsSync('/dev/nvidia0') && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    // SwiftShader probes for a Wayland display and prints "error: XDG_RUNTIME_DIR is invalid" when the variable
    // is unset (a server, CI): a directory without a display socket keeps it quiet.
    process.env.XDG_RUNTIME_DIR ??= tmpdir();
  }
  // Dawn rounds timestamps (Context.startGpuTimer) to ~65 µs by default, a guard for web pages; the bench
  // times single dispatches of a few µs, so Node asks for them unrounded.
  return create(['disable-dawn-features=timestamp_quantization']);
}
