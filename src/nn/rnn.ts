// nn.RNN, nn.GRU, nn.LSTM with PyTorch's options, parameter names, layouts, gate orders and initialisation.
// Each layer and direction: one input projection for all T steps (a matmul, or a column gather from W_ih for
// token ids, so one-hot vectors are never built), then the fused recurrent cell, one dispatch per step for both
// directions of a bidirectional layer together (LSTM with projSize: one per direction). The final states of all
// layers are written in place into the returned [L·D, B, ·] h_N (and c_N): no concatenation.
import type { Context } from '../core/context.js';
import type { Tensor, Parameter } from '../core/tensor.js';
import { shapeString } from '../core/shape.js';
import { matmul } from '../ops/matmul.js';
import { gather, assertIdsInRange } from '../ops/gather.js';
import { narrow0, cat, transpose01 } from '../ops/layout.js';
import { CELLS, type CellMode, type LayerArgs, type LayerResult } from '../ops/recurrence.js';
import { rnnLayer } from '../ops/rnn_cell.js';
import { gruLayer } from '../ops/gru_cell.js';
import { lstmLayer } from '../ops/lstm_cell.js';
import { dropout, assertDropoutP } from '../ops/dropout.js';
import { Module, uniformParameter, initRng, parameterAllocations, type ParameterSpec } from './module.js';
import { checkAllocation, withTrainingState, TRAINING_STATE } from '../core/limits.js';
import { positiveInteger } from '../core/validate.js';

export type { CellMode };

export interface RNNOptions {
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  nonlinearity?: 'tanh' | 'relu';
  bias?: boolean;
  batchFirst?: boolean;
  bidirectional?: boolean;
  /** Dropout on each layer's output except the last's, in training mode (default 0); masks come from the
   *  context's generator (nn.manualSeed), indexed over the time-major [T, B, D·H] layer output. */
  dropout?: number;
  /** Seed for the initial weights (default: Math.random). */
  seed?: number;
}
export type GRUOptions = Omit<RNNOptions, 'nonlinearity'>;
export interface LSTMOptions extends GRUOptions {
  /** PyTorch's proj_size (LSTMP): 0 (none) or 1..hiddenSize−1; h = W_hr·(o ⊙ tanh(c)) then has projSize features. */
  projSize?: number;
}

/** Per-call options of forward (API.md 10). */
export interface RecurrentForwardOptions {
  /** Steps per batch row, each 1..T, in any order: PyTorch's pack_padded_sequence(enforce_sorted=False) → layer →
   *  pad_packed_sequence(total_length=T). The output is zero past each row's length; hN is each row's last state. */
  lengths?: readonly number[] | Int32Array;
}


interface DirectionParams {
  wIH: Parameter; // [G*H, inputs]
  wHH: Parameter; // [G*H, P] (P: projSize, else H)
  bIH: Parameter | null; // [G*H]
  bHH: Parameter | null; // [G*H]
  wHR: Parameter | null; // [P, H] (LSTM with projSize)
}

/**
 * A recurrent layer's parameters in PyTorch's registration order (weight_ih, weight_hh, bias_ih, bias_hh,
 * weight_hr per layer and direction), so their sizes can be checked before any is made.
 */
export function recurrentParameters(mode: CellMode, o: {
  inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean; bias: boolean; projSize?: number;
}): ParameterSpec[] {
  const H = o.hiddenSize;
  const P = o.projSize || H; // the features of h
  const GH = CELLS[mode].gates * H;
  const D = o.bidirectional ? 2 : 1;
  const specs: ParameterSpec[] = [];
  for (let l = 0; l < o.numLayers; l++) {
    const inputs = l === 0 ? o.inputSize : D * P;
    for (let d = 0; d < D; d++) {
      const suffix = `_l${l}${d === 1 ? '_reverse' : ''}`;
      specs.push({ name: `weight_ih${suffix}`, shape: [GH, inputs], lower: l === 0 ? 'inputSize or hiddenSize' : 'hiddenSize' });
      specs.push({ name: `weight_hh${suffix}`, shape: [GH, P], lower: 'hiddenSize' });
      if (o.bias) {
        specs.push({ name: `bias_ih${suffix}`, shape: [GH], lower: 'hiddenSize' });
        specs.push({ name: `bias_hh${suffix}`, shape: [GH], lower: 'hiddenSize' });
      }
      if (o.projSize) specs.push({ name: `weight_hr${suffix}`, shape: [P, H], lower: 'projSize or hiddenSize' });
    }
  }
  return specs;
}

export abstract class RNNBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly bidirectional: boolean;
  readonly nonlinearity: 'tanh' | 'relu';
  readonly dropout: number;
  /** Gates per unit: RNN 1, GRU 3 (r, z, n), LSTM 4 (i, f, g, o). */
  readonly gates: number;
  /** LSTM projection size (0: none). */
  readonly projSize: number;
  protected readonly layers: DirectionParams[][] = [];

  constructor(ctx: Context, readonly mode: CellMode, opts: RNNOptions & { projSize?: number }) {
    super(ctx);
    const name = CELLS[mode].name;
    this.inputSize = positiveInteger(opts.inputSize, 'inputSize', name);
    this.hiddenSize = positiveInteger(opts.hiddenSize, 'hiddenSize', name);
    this.numLayers = positiveInteger(opts.numLayers ?? 1, 'numLayers', name);
    this.nonlinearity = opts.nonlinearity ?? 'tanh';
    if (this.nonlinearity !== 'tanh' && this.nonlinearity !== 'relu') {
      throw new RangeError(`${name}: nonlinearity must be 'tanh' or 'relu', got ${String(opts.nonlinearity)}`);
    }
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.bidirectional = opts.bidirectional ?? false;
    this.dropout = assertDropoutP(opts.dropout ?? 0, 'dropout', name);
    this.gates = CELLS[mode].gates;
    this.projSize = checkProjSize(opts.projSize ?? 0, this.hiddenSize, name);
    const specs = recurrentParameters(mode, this);
    checkAllocation(ctx, name, withTrainingState(parameterAllocations(specs)), 'hiddenSize, inputSize or numLayers', TRAINING_STATE);
    const rng = initRng(opts.seed);
    const bound = 1 / Math.sqrt(this.hiddenSize);
    this.building(() => {
      const made = specs.map((spec) => this.registerParameter(spec.name, uniformParameter(ctx, spec.shape, bound, rng)));
      const byName = new Map(specs.map((spec, i) => [spec.name, made[i]]));
      for (let l = 0; l < this.numLayers; l++) {
        const dirs: DirectionParams[] = [];
        for (let d = 0; d < this.numDirections; d++) {
          const suffix = `_l${l}${d === 1 ? '_reverse' : ''}`;
          const get = (kind: string) => byName.get(`${kind}${suffix}`) ?? null;
          dirs.push({ wIH: get('weight_ih')!, wHH: get('weight_hh')!, bIH: get('bias_ih'), bHH: get('bias_hh'), wHR: get('weight_hr') });
        }
        this.layers.push(dirs);
      }
    });
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Features of h (output and hN): projSize when projecting, else hiddenSize. */
  get stateSize(): number {
    return this.projSize || this.hiddenSize;
  }

  protected get name(): string {
    return CELLS[this.mode].name;
  }

  /** Validates the input; returns T, B and whether it holds token ids (nothing is allocated yet). */
  protected checkInput(x: Tensor): { T: number; B: number; ids: boolean } {
    const name = this.name;
    const ids = x.dtype === 'int32';
    if (ids) {
      if (x.shape.length !== 2) {
        throw new RangeError(`${name}: token ids must be int32 ${this.batchFirst ? '[B, T]' : '[T, B]'}, got ${shapeString(x.shape)}`);
      }
      assertIdsInRange(x, this.inputSize, `${name} (inputSize ${this.inputSize})`);
    } else if (x.shape.length !== 3 || x.shape[2] !== this.inputSize) {
      throw new RangeError(
        `${name}: input ${shapeString(x.shape)} should be ${this.batchFirst ? '[B, T, ' : '[T, B, '}${this.inputSize}] (inputSize ${this.inputSize})`,
      );
    }
    const [T, B] = this.batchFirst ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]];
    if (T < 1 || B < 1) throw new RangeError(`${name}: input ${shapeString(x.shape)} is empty`);
    return { T, B, ids };
  }

  protected checkState(state: Tensor | undefined | null, what: 'h0' | 'c0', B: number): void {
    if (!state) return;
    if (state.dtype !== 'float32') throw new TypeError(`${this.name}: ${what} must be float32, got ${state.dtype}`);
    const W = what === 'h0' ? this.stateSize : this.hiddenSize;
    const want = [this.numDirections * this.numLayers, B, W];
    if (state.shape.length !== 3 || state.shape.some((d, i) => d !== want[i])) {
      const why = what === 'h0' && this.projSize ? ` (projSize ${this.projSize})` : '';
      throw new RangeError(`${this.name}: ${what} ${shapeString(state.shape)} should be ${shapeString(want)}${why}`);
    }
  }

  /** Checks lengths against the input's T and B; returns them as int32 (null when not given). */
  protected checkLengths(lengths: RecurrentForwardOptions['lengths'], T: number, B: number): Int32Array | null {
    if (lengths === undefined || lengths === null) return null;
    const name = this.name;
    if (!Array.isArray(lengths) && !(lengths instanceof Int32Array)) {
      throw new TypeError(`${name}: lengths must be a number[] or Int32Array, got ${Object.prototype.toString.call(lengths)}`);
    }
    if (lengths.length !== B) throw new RangeError(`${name}: lengths has ${lengths.length} entries, expected one per batch row (${B})`);
    for (let b = 0; b < B; b++) {
      const n = lengths[b];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > T) {
        throw new RangeError(`${name}: lengths[${b}] = ${String(n)} is outside 1..${T} (row ${b}; T = ${T})`);
      }
    }
    return Int32Array.from(lengths);
  }

  /** Runs all layers and directions. Returns output [T, B, D*P] (time-major; P = projSize or hiddenSize) and the
   *  final states. */
  protected run(x: Tensor, h0: Tensor | null, c0: Tensor | null, options?: RecurrentForwardOptions | null): { output: Tensor; hN: Tensor; cN: Tensor | null } {
    // Everything is checked before the first allocation, so bad input leaves nothing behind.
    const opts = options ?? {};
    if (typeof opts !== 'object') throw new TypeError(`${this.name}: forward options must be an object, got ${String(opts)}`);
    const { T, B, ids } = this.checkInput(x);
    this.checkState(h0, 'h0', B);
    this.checkState(c0, 'c0', B);
    const lengthValues = this.checkLengths(opts.lengths, T, B);
    // Uploaded once, shared by every layer and direction (the tape keeps its own views).
    const lengths = lengthValues ? this.ctx.tensor(lengthValues, [B], 'int32') : null;
    const xt = this.batchFirst ? transpose01(x) : x;
    const H = this.hiddenSize;
    const P = this.stateSize;
    const GH = this.gates * H;
    const D = this.numDirections;
    const temps: Tensor[] = xt !== x ? [xt] : [];
    if (lengths) temps.push(lengths);
    // With more than one op (layers, or the two directions of a projected LSTM), the final states are stacked in
    // place: each op writes its rows of [L·D, B, ·] and returns views of the stack (ops/recurrence.ts StateStack).
    const fused = D === 1 || !this.projSize; // both directions in one op, except LSTM projections
    const stacked = this.numLayers > 1 || !fused;
    let hN: Tensor | null = stacked ? this.ctx.empty([this.numLayers * D, B, P], 'float32', 'state') : null;
    let cN: Tensor | null = stacked && this.mode === 'lstm' ? this.ctx.empty([this.numLayers * D, B, H], 'float32', 'state') : null;
    // The [n, B, W] states of directions [index, index + n) of one layer: null (zeros, made by the cell op), the
    // whole state when it has n slices (a view: no copy), else a copy of the slices. [B, W] when n = 1.
    const stateFor = (s: Tensor | null, index: number, n: number): Tensor | null => {
      if (!s) return null;
      const t = s.shape[0] === n ? s : narrow0(s, index, n);
      const v = t.reshape(n === 1 ? [B, s.shape[2]] : [n, B, s.shape[2]]);
      if (t !== s) temps.push(t);
      temps.push(v);
      return v;
    };
    let layerInput = xt;
    for (let l = 0; l < this.numLayers; l++) {
      const dirs = this.layers[l].map((p) => {
        let xProj: Tensor;
        if (l === 0 && ids) {
          xProj = gather(p.wIH, layerInput, { transposed: true }); // [T, B, GH]: columns of W_ih
        } else {
          const inW = layerInput.shape[2];
          const flat = layerInput.reshape([T * B, inW]);
          const proj = matmul(flat, p.wIH, { transB: true });
          xProj = proj.reshape([T, B, GH]);
          temps.push(flat, proj);
        }
        temps.push(xProj);
        return { xProj, wHH: p.wHH, bIH: p.bIH, bHH: p.bHH, wHR: p.wHR };
      });
      const groups = fused ? [[0, D]] : [[0, 1], [1, 1]];
      const outs: Tensor[] = [];
      for (const [first, n] of groups) {
        const args: LayerArgs = {
          dirs: dirs.slice(first, first + n),
          h0: stateFor(h0, l * D + first, n),
          c0: this.mode === 'lstm' ? stateFor(c0, l * D + first, n) : null,
          reverse: n === 1 && first === 1,
          lengths,
          stack: stacked ? { hN: hN!, cN, at: l * D + first } : null,
        };
        const r = this.cell(args);
        outs.push(r.output);
        if (hN) temps.push(hN);
        if (cN) temps.push(cN);
        // The op's own [D, B, ·] states become the whole [L·D, B, ·] (they are the stack when there is one).
        hN = stacked ? r.hN : r.hN.reshape([D, B, P]);
        cN = r.cN ? (stacked ? r.cN : r.cN.reshape([D, B, H])) : null;
        if (!stacked) temps.push(r.hN, ...(r.cN ? [r.cN] : []));
      }
      let layerOutput = outs.length === 1 ? outs[0] : cat(outs, 2);
      if (outs.length > 1) temps.push(...outs);
      if (this.training && this.dropout > 0 && l < this.numLayers - 1) {
        temps.push(layerOutput);
        layerOutput = dropout(layerOutput, { p: this.dropout });
      }
      if (layerInput !== xt) temps.push(layerInput);
      layerInput = layerOutput;
    }
    let output = layerInput;
    if (this.batchFirst) {
      output = transpose01(layerInput);
      temps.push(layerInput);
    }
    for (const t of temps) t.dispose();
    return { output, hN: hN!, cN };
  }

  private cell(args: LayerArgs): LayerResult {
    switch (this.mode) {
      case 'rnn': return rnnLayer(args, this.nonlinearity);
      case 'gru': return gruLayer(args);
      case 'lstm': return lstmLayer(args);
    }
  }
}

/** Elman RNN: h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh) (or relu). */
export class RNN extends RNNBase {
  constructor(ctx: Context, opts: RNNOptions) {
    super(ctx, 'rnn', opts);
  }

  /** x: [T, B, inputSize] (or [B, T, ...] with batchFirst) or int32 ids; h0: [D*numLayers, B, H]; opts.lengths:
   *  steps per batch row (API.md 10). */
  forward(x: Tensor, h0?: Tensor | null, opts?: RecurrentForwardOptions | null): [Tensor, Tensor] {
    const { output, hN } = this.run(x, h0 ?? null, null, opts);
    return [output, hN];
  }
}

/** PyTorch's GRU and LSTM take no nonlinearity: say so rather than silently ignore it. */
function rejectNonlinearity(opts: object, name: string): void {
  if ('nonlinearity' in opts) throw new TypeError(`${name}: unexpected option 'nonlinearity' (only nn.RNN has one)`);
}

/** PyTorch's proj_size rules: an integer, 0 (none) or below hiddenSize, and only for LSTM. */
function checkProjSize(projSize: unknown, hiddenSize: number, name: string): number {
  if (projSize === 0) return 0;
  if (name !== 'LSTM') throw new TypeError(`${name}: projSize is only supported for LSTM, not RNN or GRU`);
  if (typeof projSize !== 'number' || !Number.isInteger(projSize) || projSize < 0) {
    throw new RangeError(`${name}: projSize should be a positive integer or zero to disable projections, got ${String(projSize)}`);
  }
  if (projSize >= hiddenSize) throw new RangeError(`${name}: projSize (${projSize}) has to be smaller than hiddenSize (${hiddenSize})`);
  return projSize;
}

/** GRU with PyTorch's gate order r, z, n and n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)). */
export class GRU extends RNNBase {
  constructor(ctx: Context, opts: GRUOptions) {
    rejectNonlinearity(opts, 'GRU');
    super(ctx, 'gru', { ...opts, nonlinearity: 'tanh' });
  }

  forward(x: Tensor, h0?: Tensor | null, opts?: RecurrentForwardOptions | null): [Tensor, Tensor] {
    const { output, hN } = this.run(x, h0 ?? null, null, opts);
    return [output, hN];
  }
}

/** LSTM with PyTorch's gate order i, f, g, o; with projSize, PyTorch's LSTMP (h = W_hr·(o ⊙ tanh(c)): output and hN
 *  [.., projSize], cN [.., hiddenSize]). */
export class LSTM extends RNNBase {
  constructor(ctx: Context, opts: LSTMOptions) {
    rejectNonlinearity(opts, 'LSTM');
    super(ctx, 'lstm', { ...opts, nonlinearity: 'tanh' });
  }

  forward(x: Tensor, state?: [Tensor, Tensor] | null, opts?: RecurrentForwardOptions | null): [Tensor, [Tensor, Tensor]] {
    if (state && (!Array.isArray(state) || state.length !== 2)) {
      throw new TypeError('LSTM: the state must be a pair [h0, c0]');
    }
    const { output, hN, cN } = this.run(x, state?.[0] ?? null, state?.[1] ?? null, opts);
    return [output, [hN, cN!]];
  }
}
