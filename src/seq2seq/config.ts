// The CPU side of wr.seq2seq.Seq2Seq (API.md 13): its options, the parameter names and shapes of d2l 1.0's
// encoder-decoder in webrnn's spelling, and the mapping from d2l's own spelling (its GRUs are wrapped, so its files
// say encoder.rnn.rnn.*). The GPU module builds on these; nothing here touches a device.

export interface Seq2SeqOptions {
  srcVocabSize: number;
  tgtVocabSize: number;
  embedSize: number;
  hiddenSize: number;
  numLayers?: number;
  /** Between stacked GRU layers in training mode (d2l also applies it to the attention weights). */
  dropout?: number;
  /** d2l's Seq2SeqAttentionDecoder (Bahdanau, additive) instead of Seq2SeqDecoder. */
  attention?: boolean;
}

export type Seq2SeqConfig = Required<Seq2SeqOptions>;

/** Options with their defaults, validated: a clear RangeError naming the first bad one. */
export function resolveSeq2SeqOptions(opts: Seq2SeqOptions): Seq2SeqConfig {
  if (opts === null || typeof opts !== 'object') throw new TypeError('Seq2Seq: options must be an object');
  const cfg: Seq2SeqConfig = {
    srcVocabSize: opts.srcVocabSize, tgtVocabSize: opts.tgtVocabSize, embedSize: opts.embedSize,
    hiddenSize: opts.hiddenSize, numLayers: opts.numLayers ?? 1, dropout: opts.dropout ?? 0,
    attention: opts.attention ?? false,
  };
  for (const key of ['srcVocabSize', 'tgtVocabSize', 'embedSize', 'hiddenSize', 'numLayers'] as const) {
    const v = cfg[key];
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`Seq2Seq: ${key} must be a positive integer, got ${v}`);
  }
  if (!(typeof cfg.dropout === 'number' && cfg.dropout >= 0 && cfg.dropout < 1)) {
    throw new RangeError(`Seq2Seq: dropout must be in [0, 1), got ${cfg.dropout}`);
  }
  if (typeof cfg.attention !== 'boolean') throw new TypeError(`Seq2Seq: attention must be a boolean, got ${cfg.attention}`);
  return cfg;
}

/**
 * Every parameter in webrnn's names with its PyTorch shape, in d2l's module order. The decoder GRU's input is
 * embedSize + hiddenSize in both decoders (embedding ++ encoder context, or attention context ++ embedding).
 */
export function seq2seqParameterShapes(cfg: Seq2SeqConfig): Map<string, number[]> {
  const { srcVocabSize, tgtVocabSize, embedSize: E, hiddenSize: H, numLayers: L, attention } = cfg;
  const shapes = new Map<string, number[]>();
  const gru = (prefix: string, inputSize: number) => {
    for (let l = 0; l < L; l++) {
      shapes.set(`${prefix}.weight_ih_l${l}`, [3 * H, l === 0 ? inputSize : H]);
      shapes.set(`${prefix}.weight_hh_l${l}`, [3 * H, H]);
      shapes.set(`${prefix}.bias_ih_l${l}`, [3 * H]);
      shapes.set(`${prefix}.bias_hh_l${l}`, [3 * H]);
    }
  };
  shapes.set('encoder.embedding.weight', [srcVocabSize, E]);
  gru('encoder.rnn', E);
  if (attention) {
    shapes.set('decoder.attention.W_k.weight', [H, H]);
    shapes.set('decoder.attention.W_q.weight', [H, H]);
    shapes.set('decoder.attention.w_v.weight', [1, H]);
  }
  shapes.set('decoder.embedding.weight', [tgtVocabSize, E]);
  gru('decoder.rnn', E + H);
  shapes.set('decoder.dense.weight', [tgtVocabSize, H]);
  shapes.set('decoder.dense.bias', [tgtVocabSize]);
  return shapes;
}

/** d2l's spelling (encoder.rnn.rnn.*, decoder.rnn.rnn.*) → webrnn's (encoder.rnn.*, decoder.rnn.*); others unchanged. */
export function canonicalSeq2SeqName(name: string): string {
  return name.replace(/^(encoder|decoder)\.rnn\.rnn\./, '$1.rnn.');
}

/**
 * A state dict in either spelling, renamed to webrnn's. A tensor given under both spellings is an error (which one
 * would win is not obvious), and so is nothing at all; unknown or missing names are left to loadStateDict to report.
 */
export function canonicalSeq2SeqStateDict<T>(record: Record<string, T>): Record<string, T> {
  if (record === null || typeof record !== 'object') throw new TypeError('Seq2Seq state dict must be an object');
  const out: Record<string, T> = {};
  const from: Record<string, string> = {};
  for (const [name, value] of Object.entries(record)) {
    const canonical = canonicalSeq2SeqName(name);
    if (canonical in out) {
      throw new RangeError(`Seq2Seq state dict: ${JSON.stringify(name)} and ${JSON.stringify(from[canonical])} are the same parameter`);
    }
    out[canonical] = value;
    from[canonical] = name;
  }
  return out;
}
