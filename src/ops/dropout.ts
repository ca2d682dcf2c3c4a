// Dropout (shaders/dropout.wgsl, torch.nn.functional.dropout): a Philox mask rebuilt from (seed, offset) in
// forward and backward, so the tape saves only the 16-byte draw, and eval mode or p = 0 cost no dispatch.
import dropoutSource from '../../shaders/dropout.wgsl?raw';
import common from '../../shaders/common.wgsl?raw';
import { withSnippets } from '../core/wgsl.js';
import type { Tensor } from '../core/tensor.js';
import { record } from '../core/autograd.js';
import { grid } from './grid.js';
import { Generator, defaultGenerator, splitU64 } from './philox.js';

const FILE = 'dropout.wgsl';
const source = withSnippets(dropoutSource, common);

export interface DropoutOptions {
  /** Probability of zeroing an element, in [0, 1] (default 0.5). */
  p?: number;
  /** Training mode (default true); false: the identity. */
  training?: boolean;
  /** Where the mask's bits come from (default: the context's generator, see manualSeed). */
  generator?: Generator;
}

/** Checks a dropout probability as PyTorch does (0 ≤ p ≤ 1): "owner: name must be a number in [0, 1], got …". */
export function assertDropoutP(p: unknown, name: string, owner: string): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new RangeError(`${owner}: ${name} must be a number in [0, 1], got ${String(p)}`);
  }
  return p;
}

/** The drop threshold on the u32 bits and the scale of kept elements (PyTorch: noise = bernoulli(1-p) / (1-p)). */
export function dropoutConstants(p: number): { threshold: number; scale: number } {
  if (p === 1) return { threshold: 0xffffffff, scale: 0 };
  return { threshold: Math.floor(p * 0x100000000), scale: Math.fround(1 / Math.fround(1 - p)) };
}

/**
 * Zeroes each element of x with probability p and scales the rest by 1/(1-p) (training), or returns x as is
 * (a new handle on the same data, no dispatch) when not training or p = 0. Each training call takes one draw
 * of the generator, so a sequence of calls is reproducible from the seed.
 */
export function dropout(x: Tensor, opts: DropoutOptions = {}): Tensor {
  const p = assertDropoutP(opts.p ?? 0.5, 'p', 'dropout');
  if (x.dtype !== 'float32') throw new TypeError(`dropout: expected a float32 tensor, got ${x.dtype}`);
  if (opts.generator !== undefined && !(opts.generator instanceof Generator)) {
    throw new TypeError('dropout: generator must be a wr.nn.Generator');
  }
  const training = opts.training ?? true;
  if (!training || p === 0 || x.numel === 0) return x.reshape(x.shape);
  const ctx = x.ctx;
  const generator = opts.generator ?? defaultGenerator(ctx);
  const { threshold, scale } = dropoutConstants(p);
  const n = x.numel;
  const params = { n, threshold, scale };
  // The call's draw lives in a buffer of its own, written through eachStep: at once here, and again (the next
  // draw) before every replay of a captured step, so each replay gets a fresh mask as an uncaptured step would.
  const draw = ctx.allocate([4], 'int32', 'dropout-draw'); // nothing unsubmitted reads it: written fresh
  const drawBuffer = draw.buffer; // a captured step keeps it reserved for its replays
  const words = new Uint32Array(4);
  ctx.eachStep(() => {
    const { seed, offset } = generator.next();
    [words[0], words[1]] = splitU64(seed);
    [words[2], words[3]] = splitU64(offset);
    ctx.writeBuffer(drawBuffer, 0, words, true); // a replay's run() submitted the last reads of it first
  });
  const forward = ctx.kernel({ file: FILE, source, entry: 'dropout_forward' });
  const groups = grid(ctx, Math.ceil(n / 4), forward); // a thread per 4 elements (one Philox block)
  const out = ctx.empty(x.shape, 'float32', 'dropout');
  ctx.dispatch(forward, groups, { x, out, draw }, params);
  record('dropout', [x], [out], [draw], ([dOut], sink, [savedDraw]) => {
    if (!sink.needs(0)) return;
    const dx = sink.write(0);
    const backward = ctx.kernel({ file: FILE, source, entry: 'dropout_backward', constants: { ACCUMULATE: dx.accumulate ? 1 : 0 } });
    ctx.dispatch(backward, groups, { dout: dOut!, dx: dx.grad, draw: savedDraw! }, params);
  });
  draw.dispose(); // the tape keeps a view for backward
  return out;
}
