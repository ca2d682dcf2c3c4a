// The peers suite's TF.js side: the same character model as wr.lm.CharRNN written with plain tf ops, as a TF.js
// user would (one-hot inputs, the input projection of all steps in one matmul, a loop of cell steps, a dense layer,
// softmax cross-entropy, tf.variableGrads, clipping by the global norm, tf.train.sgd). The parameters are
// PyTorch's (names, layouts and gate orders: GRU r|z|n, LSTM i|f|g|o), loaded from webrnn's initial weights so the
// two sides train the same numbers.
import * as tf from '@tensorflow/tfjs-core';

export type Cell = 'rnn' | 'gru' | 'lstm';

export class TfCharRNN {
  private readonly vars: Map<string, tf.Variable>;
  private readonly optimizer: tf.SGDOptimizer;

  constructor(
    readonly cell: Cell,
    readonly vocabSize: number,
    readonly hiddenSize: number,
    weights: Record<string, Float32Array>,
    shapes: Record<string, number[]>,
    lr: number,
    readonly clip: number,
  ) {
    this.vars = new Map(Object.keys(weights).map((name) => [name, tf.variable(tf.tensor(weights[name], shapes[name]), true, name)]));
    for (const name of ['rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'rnn.bias_ih_l0', 'rnn.bias_hh_l0', 'dense.weight', 'dense.bias']) {
      if (!this.vars.has(name)) throw new Error(`TfCharRNN: no initial value for ${name}`);
    }
    this.optimizer = tf.train.sgd(lr);
  }

  private v(name: string): tf.Variable {
    return this.vars.get(name)!;
  }

  /** One cell step: gx = x·W_ihᵀ + b_ih [B, G·H] (precomputed), the state h (and c) [B, H]. */
  private step(gx: tf.Tensor, h: tf.Tensor, c: tf.Tensor | null): [tf.Tensor, tf.Tensor | null] {
    const gh = tf.add(tf.matMul(h, this.v('rnn.weight_hh_l0'), false, true), this.v('rnn.bias_hh_l0'));
    if (this.cell === 'rnn') return [tf.tanh(tf.add(gx, gh)), null];
    if (this.cell === 'gru') {
      const [xr, xz, xn] = tf.split(gx, 3, 1);
      const [hr, hz, hn] = tf.split(gh, 3, 1);
      const r = tf.sigmoid(tf.add(xr, hr));
      const z = tf.sigmoid(tf.add(xz, hz));
      const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
      return [tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h)), null]; // (1 − z)·n + z·h
    }
    const [i, f, g, o] = tf.split(tf.add(gx, gh), 4, 1);
    const cNext = tf.add(tf.mul(tf.sigmoid(f), c!), tf.mul(tf.sigmoid(i), tf.tanh(g)));
    return [tf.mul(tf.sigmoid(o), tf.tanh(cNext)), cNext];
  }

  /** Token ids [n] → input projections [n, G·H]. */
  private project(ids: tf.Tensor): tf.Tensor {
    const x = tf.cast(tf.oneHot(ids, this.vocabSize), 'float32');
    return tf.add(tf.matMul(x, this.v('rnn.weight_ih_l0'), false, true), this.v('rnn.bias_ih_l0'));
  }

  private dense(h: tf.Tensor): tf.Tensor {
    return tf.add(tf.matMul(h, this.v('dense.weight'), false, true), this.v('dense.bias'));
  }

  private zeros(batch: number): tf.Tensor {
    return tf.zeros([batch, this.hiddenSize]);
  }

  /** Mean cross-entropy of the logits of X [B, T] against the time-major targets Y [T·B], from a zero state. */
  private loss(X: tf.Tensor, Y: tf.Tensor): tf.Scalar {
    const [B, T] = X.shape;
    const gx = tf.split(this.project(tf.reshape(tf.transpose(X), [T * B])), T, 0); // T × [B, G·H]
    let h = this.zeros(B);
    let c = this.cell === 'lstm' ? this.zeros(B) : null;
    const outputs: tf.Tensor[] = [];
    for (let t = 0; t < T; t++) {
      [h, c] = this.step(gx[t], h, c);
      outputs.push(h);
    }
    const logits = this.dense(tf.concat(outputs, 0)); // [T·B, V], row t·B + b as in CharRNN
    return tf.losses.softmaxCrossEntropy(tf.oneHot(Y, this.vocabSize), logits) as tf.Scalar;
  }

  /** One training step: forward, loss, backward, clip by the global norm (PyTorch's rule), SGD; the loss read back. */
  async trainStep(X: tf.Tensor, Y: tf.Tensor): Promise<number> {
    const { value, grads } = tf.variableGrads(() => this.loss(X, Y), [...this.vars.values()]);
    tf.tidy(() => {
      const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
      const coef = tf.minimum(1, tf.div(this.clip, tf.add(norm, 1e-6)));
      const clipped: Record<string, tf.Tensor> = {};
      for (const [name, g] of Object.entries(grads)) clipped[name] = tf.mul(g, coef);
      this.optimizer.applyGradients(clipped);
    });
    tf.dispose(grads);
    const loss = (await value.data())[0];
    value.dispose();
    return loss;
  }

  /** Greedy generation as wr.lm.CharRNN.predict: warm up on the prefix, then `count` ids, read back once. */
  async generate(prefix: readonly number[], count: number): Promise<number[]> {
    const generated = tf.tidy(() => {
      let h = this.zeros(1);
      let c = this.cell === 'lstm' ? this.zeros(1) : null;
      const gx = tf.split(this.project(tf.tensor1d(prefix as number[], 'int32')), prefix.length, 0);
      for (const g of gx) [h, c] = this.step(g, h, c);
      const ids: tf.Tensor[] = [];
      for (let k = 0; k < count; k++) {
        const next = tf.argMax(this.dense(h), 1); // [1] int32, stays on the GPU
        ids.push(next);
        if (k < count - 1) [h, c] = this.step(this.project(next), h, c);
      }
      return tf.concat(ids);
    });
    const ids = Array.from(await generated.data());
    generated.dispose();
    return ids;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.optimizer.dispose();
  }
}
