// Bundles the command-line trainer for Node (WGSL inlined, 'webgpu' and node: built-ins external), into
// cli-dist/ for `npm run train`, or into .gpu/app/ (CLI_OUT=.gpu/app) for a GPU server without a network.
import { nodeBundleConfig } from './node-bundle.js';

export default nodeBundleConfig({
  entry: 'cli/train.ts',
  outDir: process.env.CLI_OUT ?? 'cli-dist',
  fileName: 'train.mjs',
  noExternal: ['cli-progress'],
});
