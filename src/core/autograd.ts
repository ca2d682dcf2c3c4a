import { Tensor, setTensorHooks } from './tensor.js';
import { sameShape, shapeString } from './errors.js';
import type { Context } from './context.js';

let gradEnabled = true;

/** Runs fn without recording anything on the tape (PyTorch's torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** What a node's backward gets: the gradient buffers of its inputs, to accumulate (+=) into. */
export interface GradSink {
  /** Zero-initialised (or already accumulating) gradient of input i; null when input i needs none. */
  gradOf(i: number): Tensor | null;
}

/**
 * Backward of one recorded op. `dOutputs[k]` is the gradient of output k, or null when nothing downstream
 * used that output (treat as zero). `saved` holds views of the tensors passed as `saved` to record(), in order:
 * read those rather than the caller's handles, which the user may have disposed.
 */
export type BackwardFn = (dOutputs: (Tensor | null)[], sink: GradSink, saved: readonly Tensor[]) => void;

/** One recorded op on the tape. */
export class Node {
  released = false;
  constructor(
    readonly name: string,
    readonly inputs: readonly (Tensor | null)[],
    readonly outputShapes: readonly (readonly number[])[],
    private readonly backwardFn: BackwardFn,
    /** Views of the tensors backward reads; they keep their buffers alive until the node is released. */
    readonly saved: Tensor[],
  ) {}

  runBackward(dOutputs: (Tensor | null)[], sink: GradSink): void {
    if (this.released) {
      throw new Error(
        `${this.name}: trying to backward through the graph a second time (its saved tensors were freed); ` +
          'pass { retainGraph: true } to the first backward',
      );
    }
    this.backwardFn(dOutputs, sink, this.saved);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    for (const t of this.saved) t.dispose();
    this.saved.length = 0;
  }
}

/** Whether an op with these inputs must be recorded. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  return gradEnabled && inputs.some((t) => t?.requiresGrad === true);
}

/**
 * Records an op on the tape if any input requires grad: its outputs get the node as gradFn.
 * `saved` are the tensors backward will read (retained as views, so the caller may dispose its own handles).
 */
export function record(
  name: string,
  inputs: readonly (Tensor | null)[],
  outputs: readonly Tensor[],
  saved: readonly Tensor[],
  backwardFn: BackwardFn,
): Node | null {
  if (!needsGrad(...inputs)) return null;
  const node = new Node(
    name,
    inputs,
    outputs.map((o) => o.shape),
    backwardFn,
    saved.map((t) => t.view(t.shape)),
  );
  outputs.forEach((o, i) => o.setGradFn(node, i));
  return node;
}

/** Backpropagates from several roots at once (torch.autograd.backward). */
export function backward(
  roots: readonly Tensor[],
  grads: readonly (Tensor | null | undefined)[] = [],
  options: { retainGraph?: boolean } = {},
): void {
  if (roots.length === 0) return;
  const ctx = roots[0].ctx;
  const slots = new Map<Node, (Tensor | null)[]>();
  const owned: Tensor[] = [];

  const zerosLike = (shape: readonly number[]): Tensor => {
    const t = ctx.zeros(shape, 'float32', 'grad');
    return t;
  };
  const slotOf = (node: Node, index: number): Tensor => {
    let s = slots.get(node);
    if (!s) {
      s = node.outputShapes.map(() => null);
      slots.set(node, s);
    }
    let g = s[index];
    if (!g) {
      g = zerosLike(node.outputShapes[index]);
      s[index] = g;
      owned.push(g);
    }
    return g;
  };
  const leafGrad = (t: Tensor): Tensor => {
    if (!t.grad) t.grad = zerosLike(t.shape);
    return t.grad;
  };
  const gradTarget = (t: Tensor): Tensor => (t.gradFn ? slotOf(t.gradFn, t.outputIndex) : leafGrad(t));

  // Seed the roots' gradients.
  roots.forEach((root, i) => {
    if (!root.requiresGrad) {
      throw new Error(`backward: root ${i} ${root} does not require grad and has no gradFn`);
    }
    const given = grads[i];
    if (given) {
      if (given.dtype !== 'float32') throw new TypeError(`backward: the gradient of root ${i} is ${given.dtype}, expected float32`);
      if (given.isDisposed) throw new Error(`backward: the gradient of root ${i} was disposed`);
      if (!sameShape(given.shape, root.shape)) {
        throw new RangeError(`backward: gradient shape ${shapeString(given.shape)} does not match tensor shape ${shapeString(root.shape)}`);
      }
    } else if (root.numel !== 1) {
      throw new Error(`backward: grad can be implicitly created only for scalar outputs, not ${shapeString(root.shape)}`);
    }
  });
  for (const node of topoOrder(roots)) {
    if (node.released) {
      throw new Error(`${node.name}: trying to backward through the graph a second time; pass { retainGraph: true } to the first backward`);
    }
  }
  roots.forEach((root, i) => {
    const target = gradTarget(root);
    const given = grads[i];
    if (given) {
      accumulate(ctx, target, given);
    } else {
      const one = ctx.tensor([1], root.shape);
      accumulate(ctx, target, one);
      one.dispose();
    }
  });

  const order = topoOrder(roots);
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k];
    const dOutputs = slots.get(node) ?? node.outputShapes.map(() => null);
    if (dOutputs.every((g) => g === null)) {
      // Nothing reached this node (e.g. only another output was used): its graph is still done with.
      if (!options.retainGraph) node.release();
      continue;
    }
    const sink: GradSink = {
      gradOf(i) {
        const input = node.inputs[i];
        if (!input || !input.requiresGrad) return null;
        return gradTarget(input);
      },
    };
    node.runBackward(dOutputs, sink);
    if (!options.retainGraph) node.release();
  }
  for (const t of owned) t.dispose();
}

/** Nodes reachable from the roots, each after all the nodes it depends on (inputs first). */
function topoOrder(roots: readonly Tensor[]): Node[] {
  const order: Node[] = [];
  const visited = new Set<Node>();
  // Iterative post-order DFS: long unrolled sequences would overflow a recursive one.
  const stack: { node: Node; next: number }[] = [];
  for (const root of roots) {
    if (!root.gradFn || visited.has(root.gradFn)) continue;
    visited.add(root.gradFn);
    stack.push({ node: root.gradFn, next: 0 });
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top.next < top.node.inputs.length) {
        const input = top.node.inputs[top.next++];
        const parent = input?.gradFn;
        if (parent && !visited.has(parent)) {
          visited.add(parent);
          stack.push({ node: parent, next: 0 });
        }
      } else {
        order.push(top.node);
        stack.pop();
      }
    }
  }
  return order;
}

// Set by ops/elementwise.ts: dst += src.
let accumulate: (ctx: Context, dst: Tensor, src: Tensor) => void = () => {
  throw new Error('webrnn: ops not loaded');
};
export function setAccumulateImpl(fn: typeof accumulate): void {
  accumulate = fn;
}

setTensorHooks(
  (roots, grads, options) => backward(roots, grads, options),
  (from, to) => {
    if (!needsGrad(from)) return;
    record('reshape', [from], [to], [], ([dOut], sink) => {
      const d = sink.gradOf(0);
      if (!d || !dOut) return;
      const reshaped = dOut.view(d.shape);
      accumulate(from.ctx, d, reshaped);
      reshaped.dispose();
    });
  },
);
