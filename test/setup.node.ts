// Node project: give tests a WebGPU implementation (Dawn). Without a GPU, Dawn finds Chromium's SwiftShader
// Vulkan driver (the Debian chromium package ships it).
import { existsSync } from 'node:fs';
import { create } from 'webgpu';

const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(swiftshader) && !existsSync('/dev/nvidia0')) {
  process.env.VK_ICD_FILENAMES = swiftshader;
}
(globalThis as { __webrnnTestGpu?: GPU }).__webrnnTestGpu = create([]);
