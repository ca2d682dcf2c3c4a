export { saveSafetensors, loadSafetensors, SafetensorsError } from './safetensors.js';
export type { LoadedSafetensors } from './safetensors.js';
