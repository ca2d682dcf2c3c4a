// Elementwise losses (shaders/loss.wgsl): mseLoss, l1Loss and binaryCrossEntropyWithLogits, one dispatch forward
// and one backward each, with gradients for the input and (when it requires one) the target.
import lossSource from '../../shaders/loss.wgsl?raw';
import common from '../../shaders/common.wgsl?raw';
import { withSnippets } from '../core/wgsl.js';
import type { Tensor } from '../core/tensor.js';
import { needsGrad, record, type GradTarget } from '../core/autograd.js';
import { sameShape, shapeString } from '../core/shape.js';
import { grid } from './grid.js';
import { checkReduction, type Reduction } from './loss_options.js';

const FILE = 'loss.wgsl';
const source = withSnippets(lossSource, common);
const KIND = { mse: 0, l1: 1, bce: 2 } as const;
type Kind = keyof typeof KIND;

export interface LossOptions {
  /** 'mean' (default), 'sum', or 'none' (the loss of every element, in the input's shape). */
  reduction?: Reduction;
}

export interface BCEWithLogitsOptions extends LossOptions {
  /** Weight of the positive term per class: a float32 tensor [C], C the input's last axis (PyTorch's pos_weight). */
  posWeight?: Tensor;
}

function checkPair(input: Tensor, target: Tensor, what: string): void {
  if (input.dtype !== 'float32') throw new TypeError(`${what}: input must be float32, got ${input.dtype}`);
  if (target.dtype !== 'float32') throw new TypeError(`${what}: target must be float32, got ${target.dtype}`);
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(`${what}: target ${shapeString(target.shape)} must have the input's shape ${shapeString(input.shape)}`);
  }
  if (target.ctx !== input.ctx) throw new Error(`${what}: input and target belong to different contexts`);
}

function elementwiseLoss(kind: Kind, what: string, input: Tensor, target: Tensor, reduction: Reduction, posWeight: Tensor | null): Tensor {
  const ctx = input.ctx;
  const n = input.numel;
  const C = input.shape.length ? input.shape[input.shape.length - 1] : 1;
  const params = { n, C };
  const base = { KIND: KIND[kind], HAS_POS_WEIGHT: posWeight ? 1 : 0, MEAN: reduction === 'mean' ? 1 : 0 };
  const kernel = (entry: string, constants: Record<string, number>) => ctx.kernel({ file: FILE, source, entry, constants });

  const out = reduction === 'none' ? ctx.empty(input.shape, 'float32', what) : ctx.empty([], 'float32', what);
  // Without posWeight the kernel never reads it: the input (already bound read-only) stands in.
  const forwardBindings = { inputs: input, targets: target, pos_weight: posWeight ?? input, out };
  if (reduction === 'none') {
    const forward = kernel('loss_forward', base);
    ctx.dispatch(forward, grid(ctx, n, forward), forwardBindings, params);
  } else {
    ctx.dispatch(kernel('loss_forward_reduced', base), [1], forwardBindings, params);
  }
  const saved = posWeight ? [input, target, posWeight] : [input, target];
  record(what, [input, target], [out], saved, ([dOut], sink, [sInput, sTarget, sPosWeight]) => {
    const encode = (dInput: GradTarget | null, dTarget: GradTarget | null) => {
      const mode = (t: GradTarget | null) => (t ? (t.accumulate ? 2 : 1) : 0);
      const constants = { ...base, REDUCED: reduction === 'none' ? 0 : 1, INPUT_GRAD: mode(dInput), TARGET_GRAD: mode(dTarget) };
      const backward = kernel('loss_backward', constants);
      const unused = ctx.dummyBuffer(); // for the one gradient not asked for (never written)
      const bindings = {
        inputs: sInput, targets: sTarget, pos_weight: sPosWeight ?? sInput, dloss: dOut!,
        dinput: dInput?.grad ?? unused, dtarget: dTarget?.grad ?? unused,
      };
      ctx.dispatch(backward, grid(ctx, n, backward), bindings, params);
    };
    const needInput = sink.needs(0);
    const needTarget = sink.needs(1);
    if (input === target) {
      // One gradient buffer for both: two dispatches (a buffer cannot be bound writable twice in one).
      if (needInput) encode(sink.write(0), null);
      if (needTarget) encode(null, sink.write(1));
      return;
    }
    if (!needInput && !needTarget) return;
    const dInput = needInput ? sink.write(0) : null;
    const dTarget = needTarget ? sink.write(1) : null;
    encode(dInput, dTarget);
  });
  return out;
}

/** Mean squared error (PyTorch's F.mse_loss): (input - target)², reduced. */
export function mseLoss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  const reduction = checkReduction(opts.reduction, 'mseLoss');
  checkPair(input, target, 'mseLoss');
  return elementwiseLoss('mse', 'mseLoss', input, target, reduction, null);
}

/** Mean absolute error (PyTorch's F.l1_loss): |input - target|, reduced. */
export function l1Loss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  const reduction = checkReduction(opts.reduction, 'l1Loss');
  checkPair(input, target, 'l1Loss');
  return elementwiseLoss('l1', 'l1Loss', input, target, reduction, null);
}

/**
 * Binary cross-entropy of logits against targets in [0, 1] (PyTorch's F.binary_cross_entropy_with_logits), in the
 * stable form that never takes exp of a large positive number; posWeight [C] weighs the positive term per class.
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts: BCEWithLogitsOptions = {}): Tensor {
  const what = 'binaryCrossEntropyWithLogits';
  const reduction = checkReduction(opts.reduction, what);
  checkPair(input, target, what);
  const posWeight = opts.posWeight ?? null;
  if (posWeight) {
    const C = input.shape.length ? input.shape[input.shape.length - 1] : 1;
    if (posWeight.dtype !== 'float32' || !sameShape(posWeight.shape, [C])) {
      throw new RangeError(`${what}: posWeight must be float32 [${C}] (the input's last axis), got ${shapeString(posWeight.shape)} ${posWeight.dtype}`);
    }
    if (posWeight.ctx !== input.ctx) throw new Error(`${what}: posWeight belongs to another context than the input`);
    if (needsGrad(posWeight)) throw new Error(`${what}: posWeight cannot require grad (PyTorch has no gradient for pos_weight)`);
  }
  return elementwiseLoss('bce', what, input, target, reduction, posWeight);
}
