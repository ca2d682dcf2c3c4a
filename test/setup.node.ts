// Node project: give tests a WebGPU implementation (Dawn; SwiftShader without a GPU).
import { createNodeGpu } from '../scripts/node-gpu.js';

(globalThis as { __webrnnTestGpu?: GPU }).__webrnnTestGpu = createNodeGpu();
