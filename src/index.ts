// webrnn: recurrent neural networks on WebGPU. Everything public is exported here.
export { init, Context, type InitOptions, type MemoryStats } from './core/context.js';
export { f32bits } from './core/bindings.js';
export { describeAdapter } from './core/device.js';
export type { GpuTimes, GpuTimerOptions } from './core/gpu-timer.js';
export { WebGPUUnavailableError, GPUError } from './core/errors.js';
export { checkAllocation, withTrainingState, type Allocation, type AllocationLimits } from './core/limits.js';
export { Tensor, Parameter, type DType, type TensorData } from './core/tensor.js';
export { noGrad, isGradEnabled } from './core/autograd.js';
export * as ops from './ops/index.js';
export * as autograd from './autograd.js';
export * as data from './data/index.js';
export * as io from './io/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as lm from './lm/index.js';
export { train, NonFiniteLossError, type TrainOptions, type EpochRecord } from './lm/train.js';
export * as metrics from './metrics/index.js';
