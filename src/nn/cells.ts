// nn.RNNCell, nn.GRUCell, nn.LSTMCell: one time step per call, with PyTorch's parameter names, gate orders and
// init. Each call is the input projection (a matmul) and one dispatch of the layers' fused step kernel (a
// sequence of length 1), so the tape holds one node per call and BPTT runs back through a user's whole loop.
import type { Context } from '../core/context.js';
import type { Tensor, Parameter } from '../core/tensor.js';
import { shapeString } from '../core/shape.js';
import { matmul } from '../ops/matmul.js';
import { CELLS, type CellMode, type SequenceArgs, type SequenceResult } from '../ops/recurrence.js';
import { rnnSequence } from '../ops/rnn_cell.js';
import { gruSequence } from '../ops/gru_cell.js';
import { lstmSequence } from '../ops/lstm_cell.js';
import { Module, uniformParameter, initRng } from './module.js';
import { checkAllocation, withTrainingState, TRAINING_STATE } from '../core/limits.js';
import { positiveInteger } from '../core/validate.js';

export interface RNNCellOptions {
  inputSize: number;
  hiddenSize: number;
  bias?: boolean;
  nonlinearity?: 'tanh' | 'relu';
  /** Seed for the initial weights (default: Math.random). */
  seed?: number;
}
export type GRUCellOptions = Omit<RNNCellOptions, 'nonlinearity'>;
export type LSTMCellOptions = Omit<RNNCellOptions, 'nonlinearity'>;

/** The PyTorch class name: RNNCell, GRUCell, LSTMCell. */
const cellName = (mode: CellMode): string => `${CELLS[mode].name}Cell`;

export abstract class RNNCellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  readonly nonlinearity: 'tanh' | 'relu';
  readonly weight_ih: Parameter; // [G*H, inputSize]
  readonly weight_hh: Parameter; // [G*H, H]
  readonly bias_ih: Parameter | null; // [G*H]
  readonly bias_hh: Parameter | null; // [G*H]

  constructor(ctx: Context, readonly mode: CellMode, opts: RNNCellOptions) {
    super(ctx);
    const name = cellName(mode);
    if (mode !== 'rnn' && 'nonlinearity' in opts) throw new TypeError(`${name}: unexpected option 'nonlinearity' (only nn.RNNCell has one)`);
    this.inputSize = positiveInteger(opts.inputSize, 'inputSize', name);
    this.hiddenSize = positiveInteger(opts.hiddenSize, 'hiddenSize', name);
    this.nonlinearity = opts.nonlinearity ?? 'tanh';
    if (this.nonlinearity !== 'tanh' && this.nonlinearity !== 'relu') {
      throw new RangeError(`${name}: nonlinearity must be 'tanh' or 'relu', got ${String(opts.nonlinearity)}`);
    }
    this.bias = opts.bias ?? true;
    const GH = CELLS[mode].gates * this.hiddenSize;
    const bound = 1 / Math.sqrt(this.hiddenSize);
    const rng = initRng(opts.seed);
    checkAllocation(ctx, name, withTrainingState([
      [`weight_ih [${GH}, ${this.inputSize}]`, GH * this.inputSize, 'inputSize or hiddenSize'],
      [`weight_hh [${GH}, ${this.hiddenSize}]`, GH * this.hiddenSize, 'hiddenSize'],
      ...(this.bias ? [[`bias_ih [${GH}]`, GH], [`bias_hh [${GH}]`, GH]] as const : []),
    ]), 'inputSize or hiddenSize', TRAINING_STATE);
    this.weight_ih = this.registerParameter('weight_ih', uniformParameter(ctx, [GH, this.inputSize], bound, rng));
    this.weight_hh = this.registerParameter('weight_hh', uniformParameter(ctx, [GH, this.hiddenSize], bound, rng));
    this.bias_ih = this.bias ? this.registerParameter('bias_ih', uniformParameter(ctx, [GH], bound, rng)) : null;
    this.bias_hh = this.bias ? this.registerParameter('bias_hh', uniformParameter(ctx, [GH], bound, rng)) : null;
  }

  private get name(): string {
    return cellName(this.mode);
  }

  /** Checks x ([B, inputSize], or [inputSize] for one unbatched row) and the states; returns B and whether
   *  x is unbatched. Nothing is allocated before every check has passed. */
  protected checkInputs(x: Tensor, states: (Tensor | null)[], stateNames: string[]): { B: number; unbatched: boolean } {
    const name = this.name;
    if (x.dtype !== 'float32') throw new TypeError(`${name}: input must be float32, got ${x.dtype}`);
    const unbatched = x.shape.length === 1;
    if ((x.shape.length !== 1 && x.shape.length !== 2) || x.shape[x.shape.length - 1] !== this.inputSize) {
      throw new RangeError(`${name}: input ${shapeString(x.shape)} should be [B, ${this.inputSize}] or [${this.inputSize}] (inputSize ${this.inputSize})`);
    }
    const B = unbatched ? 1 : x.shape[0];
    if (B < 1) throw new RangeError(`${name}: input ${shapeString(x.shape)} is empty`);
    const want = unbatched ? [this.hiddenSize] : [B, this.hiddenSize];
    states.forEach((s, i) => {
      if (!s) return;
      if (s.dtype !== 'float32') throw new TypeError(`${name}: ${stateNames[i]} must be float32, got ${s.dtype}`);
      if (s.shape.length !== want.length || s.shape.some((d, k) => d !== want[k])) {
        throw new RangeError(`${name}: ${stateNames[i]} ${shapeString(s.shape)} should be ${shapeString(want)} for input ${shapeString(x.shape)}`);
      }
    });
    return { B, unbatched };
  }

  /** One step: the input projection, then the fused cell over a sequence of length 1. States come back [B, H]
   *  (or [H] for unbatched input). */
  protected step(x: Tensor, h0: Tensor | null, c0: Tensor | null, B: number, unbatched: boolean): Tensor[] {
    const H = this.hiddenSize;
    const GH = CELLS[this.mode].gates * H;
    const temps: Tensor[] = [];
    const rows = (t: Tensor, width: number): Tensor => {
      if (!unbatched) return t;
      const r = t.reshape([1, width]);
      temps.push(r);
      return r;
    };
    const proj = matmul(rows(x, this.inputSize), this.weight_ih, { transB: true }); // [B, GH]
    const xProj = proj.reshape([1, B, GH]);
    temps.push(proj, xProj);
    const args: SequenceArgs = {
      xProj, wHH: this.weight_hh, bIH: this.bias_ih, bHH: this.bias_hh,
      h0: h0 && rows(h0, H), c0: c0 && rows(c0, H), reverse: false,
    };
    const r = this.run(args);
    temps.push(r.output);
    const states = [r.hN, ...(r.cN ? [r.cN] : [])];
    const out = unbatched ? states.map((s) => s.reshape([H])) : states;
    if (unbatched) temps.push(...states);
    for (const t of temps) t.dispose();
    return out;
  }

  private run(args: SequenceArgs): SequenceResult {
    switch (this.mode) {
      case 'rnn': return rnnSequence(args, this.nonlinearity);
      case 'gru': return gruSequence(args);
      case 'lstm': return lstmSequence(args);
    }
  }
}

/** h1 = tanh(x W_ihᵀ + b_ih + h0 W_hhᵀ + b_hh) (or relu). */
export class RNNCell extends RNNCellBase {
  constructor(ctx: Context, opts: RNNCellOptions) {
    super(ctx, 'rnn', opts);
  }

  /** x: [B, inputSize] (or [inputSize]); h0: [B, hiddenSize] (default zeros) → h1 [B, hiddenSize]. */
  forward(x: Tensor, h0?: Tensor | null): Tensor {
    const { B, unbatched } = this.checkInputs(x, [h0 ?? null], ['h0']);
    return this.step(x, h0 ?? null, null, B, unbatched)[0];
  }
}

/** GRU step with PyTorch's gate order r, z, n. */
export class GRUCell extends RNNCellBase {
  constructor(ctx: Context, opts: GRUCellOptions) {
    super(ctx, 'gru', opts);
  }

  forward(x: Tensor, h0?: Tensor | null): Tensor {
    const { B, unbatched } = this.checkInputs(x, [h0 ?? null], ['h0']);
    return this.step(x, h0 ?? null, null, B, unbatched)[0];
  }
}

/** LSTM step with PyTorch's gate order i, f, g, o. */
export class LSTMCell extends RNNCellBase {
  constructor(ctx: Context, opts: LSTMCellOptions) {
    super(ctx, 'lstm', opts);
  }

  /** x: [B, inputSize] (or [inputSize]); state: [h0, c0] each [B, hiddenSize] (default zeros) → [h1, c1]. */
  forward(x: Tensor, state?: [Tensor, Tensor] | null): [Tensor, Tensor] {
    if (state && (!Array.isArray(state) || state.length !== 2 || !state[0] || !state[1])) {
      throw new TypeError('LSTMCell: the state must be a pair [h0, c0]');
    }
    const { B, unbatched } = this.checkInputs(x, [state?.[0] ?? null, state?.[1] ?? null], ['h0', 'c0']);
    const [h1, c1] = this.step(x, state?.[0] ?? null, state?.[1] ?? null, B, unbatched);
    return [h1, c1];
  }
}
