// The tape. Dependencies run one way: tensor.ts → autograd.ts → fill.ts (the accumulate kernel); this file
// needs Tensor and Context only as types.
import type { Tensor } from './tensor.js';
import { sameShape, shapeString } from './shape.js';
import { accumulateInto } from './fill.js';

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

/**
 * What a node's backward gets: a way to give each input its gradient. The rule, for every op:
 *  - `needs(i)` says whether input i wants a gradient (it requires grad). It has no side effects: ask it as
 *    often as needed, and skip the work for inputs that need none.
 *  - then exactly one way to deliver it, each only for an input that needs one (else it throws):
 *    `write(i)` for a kernel that can overwrite or add (an ACCUMULATE variant): `accumulate` false means the
 *      tensor is new and uninitialised and the kernel must write every element (no zero fill). Ask right
 *      before encoding the write: a second write(i) of the same tensor (an input used twice) then accumulates.
 *    `add(i)` for a kernel that can only add: the gradient to add into, zero-filled when new (costs a fill).
 *    `pass(i, grad)` hands over a gradient the backward made itself, or its own dOut, which nothing else reads:
 *      it becomes input i's gradient (shared storage, no fill, no copy) or is added to the one it has. Call it
 *      after the backward's last read of `grad`.
 */
export interface GradSink {
  needs(i: number): boolean;
  write(i: number): GradTarget;
  add(i: number): Tensor;
  pass(i: number, grad: Tensor): void;
}

export interface GradTarget {
  grad: Tensor;
  accumulate: boolean;
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

  // A tensor's gradient lives in its node's slot (an intermediate: freed after backward) or in t.grad (a leaf).
  const existingGrad = (t: Tensor): Tensor | null => (t.gradFn ? slots.get(t.gradFn)?.[t.outputIndex] ?? null : t.grad);
  /** Makes `g` t's gradient (t has none yet). */
  const setGrad = (t: Tensor, g: Tensor): void => {
    if (t.gradFn) {
      let s = slots.get(t.gradFn);
      if (!s) {
        s = t.gradFn.outputShapes.map(() => null);
        slots.set(t.gradFn, s);
      }
      s[t.outputIndex] = g;
      owned.push(g);
    } else {
      t.grad = g;
    }
  };
  const targetOf = (t: Tensor): GradTarget => {
    const existing = existingGrad(t);
    if (existing) return { grad: existing, accumulate: true };
    const grad = ctx.empty(t.shape, 'float32', 'grad');
    setGrad(t, grad);
    return { grad, accumulate: false };
  };
  /** t's gradient, zero-filled when new: for backwards that can only add. */
  const gradTarget = (t: Tensor): Tensor => {
    const { grad, accumulate: existed } = targetOf(t);
    if (!existed) ctx.fillBuffer(grad.buffer, 0, grad.numel);
    return grad;
  };
  /** t's gradient becomes g (shared storage) if t has none yet; else g is added to it. */
  const giveGrad = (t: Tensor, g: Tensor): void => {
    if (!existingGrad(t)) {
      setGrad(t, g.view(t.shape));
      return;
    }
    const target = gradTarget(t);
    if (sameShape(g.shape, t.shape)) {
      accumulateInto(target, g);
    } else {
      const view = g.view(t.shape);
      accumulateInto(target, view);
      view.dispose();
    }
  };

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
    const given = grads[i];
    if (given) {
      // Copied: the caller keeps its tensor, and the root may also be reached from another root.
      accumulateInto(gradTarget(root), given);
    } else {
      const one = ctx.tensor([1], root.shape); // the implicit dL/dL = 1, owned here
      giveGrad(root, one);
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
    const input = (i: number, how: string): Tensor => {
      const t = node.inputs[i];
      if (!t || !t.requiresGrad) throw new Error(`${node.name}: ${how}(${i}) on an input that needs no gradient (ask needs(${i}) first)`);
      return t;
    };
    const sink: GradSink = {
      needs: (i) => node.inputs[i]?.requiresGrad === true,
      write: (i) => targetOf(input(i, 'write')),
      add: (i) => gradTarget(input(i, 'add')),
      pass(i, grad) {
        const t = input(i, 'pass');
        if (grad.numel !== t.numel) {
          throw new RangeError(`${node.name}: a gradient of ${shapeString(grad.shape)} passed to input ${i} of ${shapeString(t.shape)}`);
        }
        giveGrad(t, grad);
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
