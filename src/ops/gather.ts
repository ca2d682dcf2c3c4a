// Row gather by int32 ids (shaders/gather.wgsl): an embedding lookup, i.e. one-hot(ids)·W without building the
// one-hot; its gradient is a deterministic scatter-add (bucket the ids, then each table row sums its bucket).
import gatherSource from '../../shaders/gather.wgsl?raw';
import common from '../../shaders/common.wgsl?raw';
import { withSnippets } from '../core/wgsl.js';
import type { Context } from '../core/context.js';
import type { Tensor } from '../core/tensor.js';
import { record } from '../core/autograd.js';
import { shapeString } from '../core/shape.js';
import { grid } from './grid.js';

const FILE = 'gather.wgsl';
const source = withSnippets(gatherSource, common);

export interface GatherOptions {
  /** The table is stored [D, V] (PyTorch's W_ih [4H, vocab]): gather columns instead of rows. */
  transposed?: boolean;
  /** A table row that gets no gradient (nn.Embedding's paddingIdx, in [0, V)); null: none. */
  paddingIdx?: number | null;
}

/** Checks ids that came from the CPU against the table size, naming the first bad one. */
export function assertIdsInRange(ids: Tensor, V: number, what: string): void {
  if (!ids.cpuData) return;
  ids.ctx.checkIds(ids.cpuData, (data) => { // kept for a captured step's replays
    let bad = -1;
    for (let i = 0; i < data.length; i++) if (data[i] < 0 || data[i] >= V) { bad = i; break; } // (findIndex: 5× slower)
    if (bad >= 0) throw new RangeError(`${what}: token id ${data[bad]} at position ${bad} is outside the vocabulary [0, ${V})`);
  });
}

/** out[n, d] (+)= table[ids[n], d] (or table[d, ids[n]] if transposed), no tape. */
export function gatherInto(out: Tensor, table: Tensor, ids: Tensor, N: number, D: number, V: number,
  opts: { transposed?: boolean; accumulate?: boolean } = {}): void {
  const ctx = out.ctx;
  const kernel = ctx.kernel({
    file: FILE, source, entry: 'gather_forward',
    constants: { TRANSPOSED: opts.transposed ? 1 : 0, ACCUMULATE: opts.accumulate ? 1 : 0 },
  });
  ctx.dispatch(kernel, grid(ctx, N * D, kernel), { table, ids, out }, { N, D, V });
}

/** dtable (+)= scatter of dout[N, D] rows by ids, no tape. Deterministic: 4 small dispatches + 1 over the table.
 *  accumulate false (default true) overwrites every element of dtable, so it needs no zero fill first. */
export function scatterAddInto(dtable: Tensor, dout: Tensor, ids: Tensor, N: number, D: number, V: number,
  opts: { transposed?: boolean; accumulate?: boolean; paddingIdx?: number | null } = {}): void {
  const ctx: Context = dtable.ctx;
  const params = { N, D, V };
  const counts = ctx.zeros([V], 'float32', 'gather-counts');  // zero bits are u32 zeros
  const rank = ctx.empty([N], 'int32', 'gather-rank');
  const offsets = ctx.empty([V + 1], 'int32', 'gather-offsets');
  const order = ctx.empty([N], 'int32', 'gather-order');
  const k = (entry: string, constants?: Record<string, number>) => ctx.kernel({ file: FILE, source, entry, constants });
  const orderKernel = k('gather_order');
  ctx.dispatch(k('gather_count'), [1], { ids, counts, rank }, params); // one workgroup: a stable counting pass
  ctx.dispatch(k('gather_offsets'), [1], { offsets, counts_in: counts }, params);
  ctx.dispatch(orderKernel, [Math.ceil(N / orderKernel.entry!.workgroupSize[0])], { ids, rank, offsets, order }, params); // by gid.x alone
  const backward = k('gather_backward', {
    TRANSPOSED: opts.transposed ? 1 : 0, ACCUMULATE: opts.accumulate ?? true ? 1 : 0, PADDING_IDX: opts.paddingIdx ?? -1,
  });
  ctx.dispatch(backward, grid(ctx, V * D, backward), { dtable, dout, offsets, order }, params);
  for (const t of [counts, rank, offsets, order]) t.dispose();
}

/** Embedding lookup: table [V, D] (or [D, V] if transposed), int32 ids of any shape → [...ids.shape, D]. */
export function gather(table: Tensor, ids: Tensor, opts: GatherOptions = {}): Tensor {
  if (table.shape.length !== 2 || table.dtype !== 'float32') throw new RangeError(`gather: table must be float32 2-D, got ${shapeString(table.shape)}`);
  if (ids.dtype !== 'int32') throw new TypeError(`gather: ids must be int32, got ${ids.dtype}`);
  const transposed = opts.transposed ?? false;
  const paddingIdx = opts.paddingIdx ?? null;
  const [V, D] = transposed ? [table.shape[1], table.shape[0]] : [table.shape[0], table.shape[1]];
  if (paddingIdx !== null && !(Number.isInteger(paddingIdx) && paddingIdx >= 0 && paddingIdx < V)) {
    throw new RangeError(`gather: paddingIdx ${paddingIdx} is outside the table's rows [0, ${V})`);
  }
  assertIdsInRange(ids, V, 'gather');
  const N = ids.numel;
  const out = table.ctx.empty([...ids.shape, D], 'float32', 'gather');
  gatherInto(out, table, ids, N, D, V, { transposed });
  record('gather', [table, null], [out], [ids], ([dOut], sink, [sIds]) => {
    if (!sink.needs(0)) return;
    const dTable = sink.write(0);
    scatterAddInto(dTable.grad, dOut!, sIds, N, D, V, { transposed, accumulate: dTable.accumulate, paddingIdx });
  });
  return out;
}
