/** Serialized form of a {@link Vocab}, stored next to model weights. */
export interface VocabJSON {
  /** Tokens in index order: `tokens[i]` is the token with id `i`. */
  tokens: string[];
  /** Token that unknown characters map to when encoding, or null to reject them. */
  unknownToken: string | null;
}

export interface VocabOptions {
  /**
   * When set (it must be one of the tokens), `encode` maps characters outside the
   * vocabulary to this token instead of throwing, like d2l's `<unk>`.
   */
  unknownToken?: string | null;
}

/** Bidirectional map between tokens (here: single characters, plus `<unk>`) and integer ids. */
export class Vocab {
  readonly idxToToken: readonly string[];
  readonly tokenToIdx: ReadonlyMap<string, number>;
  readonly unknownToken: string | null;

  /** `tokens` must be distinct; their order defines the ids. */
  constructor(tokens: readonly string[], opts: VocabOptions = {}) {
    const tokenToIdx = new Map<string, number>();
    tokens.forEach((token, i) => {
      if (typeof token !== 'string') throw new TypeError(`vocabulary token ${i} is not a string`);
      if (tokenToIdx.has(token)) throw new Error(`vocabulary token ${JSON.stringify(token)} appears twice`);
      tokenToIdx.set(token, i);
    });
    const unknownToken = opts.unknownToken ?? null;
    if (unknownToken !== null && !tokenToIdx.has(unknownToken)) {
      throw new Error(`unknown token ${JSON.stringify(unknownToken)} is not in the vocabulary`);
    }
    this.idxToToken = Object.freeze([...tokens]);
    this.tokenToIdx = tokenToIdx;
    this.unknownToken = unknownToken;
  }

  /** Distinct tokens of `tokens` in first-appearance order (an already distinct list keeps its order). */
  static fromTokens(tokens: Iterable<string>, opts: VocabOptions = {}): Vocab {
    return new Vocab([...new Set(tokens)], opts);
  }

  static fromJSON(json: VocabJSON): Vocab {
    if (json === null || typeof json !== 'object' || !Array.isArray(json.tokens)) {
      throw new TypeError('vocabulary JSON must be an object with a "tokens" array');
    }
    return new Vocab(json.tokens, { unknownToken: json.unknownToken ?? null });
  }

  get size(): number {
    return this.idxToToken.length;
  }

  /** Ids of the characters (Unicode code points) of `text`. */
  encode(text: string): Int32Array {
    const chars = Array.from(text);
    const ids = new Int32Array(chars.length);
    const unknownId = this.unknownToken === null ? -1 : this.tokenToIdx.get(this.unknownToken)!;
    const missing = new Set<string>();
    chars.forEach((ch, i) => {
      const id = this.tokenToIdx.get(ch);
      if (id !== undefined) ids[i] = id;
      else if (unknownId >= 0) ids[i] = unknownId;
      else missing.add(ch);
    });
    if (missing.size > 0) {
      const names = [...missing].map((ch) => JSON.stringify(ch)).join(', ');
      throw new RangeError(`characters not in the vocabulary: ${names}`);
    }
    return ids;
  }

  decode(ids: ArrayLike<number>): string {
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.size) {
        throw new RangeError(`token id ${id} (at position ${i}) is out of range for a vocabulary of ${this.size}`);
      }
      text += this.idxToToken[id];
    }
    return text;
  }

  /** Same tokens with the same ids, and the same unknown token: ids from one mean the same in the other. */
  equals(other: Vocab): boolean {
    if (this === other) return true;
    if (this.size !== other.size || this.unknownToken !== other.unknownToken) return false;
    return this.idxToToken.every((token, i) => token === other.idxToToken[i]);
  }

  toJSON(): VocabJSON {
    return { tokens: [...this.idxToToken], unknownToken: this.unknownToken };
  }
}
