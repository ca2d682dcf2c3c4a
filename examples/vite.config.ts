// Bundles the examples' command line (examples/cli.ts) for Node like cli/vite.config.ts does (WGSL inlined,
// 'webgpu', node: built-ins and the packages in node_modules external), into cli-dist/example.mjs for `npm run example`
// (EXAMPLE_OUT=DIR: elsewhere, for the test).
import { nodeBundleConfig } from '../cli/node-bundle.js';

export default nodeBundleConfig({
  entry: 'examples/cli.ts',
  outDir: process.env.EXAMPLE_OUT ?? 'cli-dist',
  fileName: 'example.mjs',
});
