export { CharRNN, type CharRNNOptions, type RNNState, type PredictOptions } from './charrnn.js';
export { train, NonFiniteLossError, type TrainOptions, type EpochRecord, type StepRecord } from './train.js';
export {
  readCheckpoint, saveCheckpoint, encodeCheckpoint, modelFromCheckpoint, checkpointConfig, checkpointShapes, configOf,
  CheckpointError, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CHECKPOINT_LIMITS, type Checkpoint, type CharRNNConfig,
} from './checkpoint.js';
