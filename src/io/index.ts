export { saveSafetensors, loadSafetensors, SafetensorsError, MAX_HEADER_BYTES } from './safetensors.js';
export type { LoadedSafetensors, LoadSafetensorsOptions, SaveSafetensorsOptions } from './safetensors.js';
export { MAX_WEIGHTS_BYTES, MAX_CORPUS_BYTES, checkFileSize, formatBytes } from './limits.js';
