// A strict JSON parser for untrusted safetensors headers. JSON.parse cannot be used: it silently keeps the
// last of two duplicate keys, and its numbers lose the difference between `4`, `4.0` and `4e0`. This one
// keeps every object member in order (duplicates included, for the caller to refuse), keeps numbers as their
// source text, and is iterative (an explicit stack), so a deeply nested header cannot overflow the JS stack.
// Grammar: RFC 8259, as serde_json reads it (JSON whitespace around the value, nothing else; no BOM).
// The text comes from strict UTF-8 decoding, so the only way to write a lone surrogate is an escape, refused here.

export type JsonNode = JsonObject | JsonArray | JsonString | JsonNumber | JsonLiteral;
interface Span {
  /** Character offsets of the value in the header text: [start, end). */
  start: number;
  end: number;
}
export interface JsonObject extends Span {
  kind: 'object';
  /** Members in source order; a repeated key appears once per occurrence. */
  members: [key: string, value: JsonNode][];
}
export interface JsonArray extends Span {
  kind: 'array';
  items: JsonNode[];
}
export interface JsonString extends Span {
  kind: 'string';
  value: string;
}
export interface JsonNumber extends Span {
  kind: 'number';
  /** The number exactly as written, e.g. "4", "-0", "4.0", "4e0". */
  raw: string;
}
export interface JsonLiteral extends Span {
  kind: 'literal';
  value: true | false | null;
}

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} at character ${position}`);
    this.name = 'JsonSyntaxError';
  }
}

/** Nesting deeper than this is refused (serde_json's own recursion limit is 128). */
export const MAX_JSON_DEPTH = 64;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
// eslint-disable-next-line no-control-regex -- JSON forbids raw control characters in strings: that is what it matches
const PLAIN_CHARS = /[^"\\\u0000-\u001f]*/y; // the run of a string that needs no escape handling
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

export function parseJson(text: string): JsonNode {
  return new Parser(text).parse();
}

type OpenContainer = { node: JsonObject; key: string } | { node: JsonArray; key?: undefined };

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): JsonNode {
    const stack: OpenContainer[] = [];
    this.skipWhitespace();
    for (;;) {
      // Read one value; containers are opened here and closed in the loop below.
      let node: JsonNode;
      const start = this.pos;
      const ch = this.text[this.pos];
      if (ch === '{' || ch === '[') {
        if (stack.length >= MAX_JSON_DEPTH) throw this.error(`nested more than ${MAX_JSON_DEPTH} levels deep`);
        this.pos++;
        this.skipWhitespace();
        const closer = ch === '{' ? '}' : ']';
        if (this.text[this.pos] === closer) {
          this.pos++;
          node = ch === '{' ? { kind: 'object', start, end: this.pos, members: [] } : { kind: 'array', start, end: this.pos, items: [] };
        } else {
          if (ch === '{') stack.push({ node: { kind: 'object', start, end: -1, members: [] }, key: this.readKey() });
          else stack.push({ node: { kind: 'array', start, end: -1, items: [] } });
          continue;
        }
      } else {
        node = this.readScalar();
      }

      // Attach the finished value to its container; close every container that ends here.
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) {
          this.skipWhitespace();
          if (this.pos !== this.text.length) throw this.error(`unexpected ${this.describeChar()} after the top-level value`);
          return node;
        }
        if (top.node.kind === 'object') top.node.members.push([top.key!, node]);
        else top.node.items.push(node);
        this.skipWhitespace();
        const next = this.text[this.pos];
        const closer = top.node.kind === 'object' ? '}' : ']';
        if (next === ',') {
          this.pos++;
          this.skipWhitespace();
          if (top.node.kind === 'object') top.key = this.readKey();
          break; // read the next value
        }
        if (next !== closer) throw this.error(`expected ',' or '${closer}' but found ${this.describeChar()}`);
        this.pos++;
        top.node.end = this.pos;
        stack.pop();
        node = top.node;
      }
    }
  }

  /** A member's key and its ':', leaving the position at the value. */
  private readKey(): string {
    if (this.text[this.pos] !== '"') throw this.error(`expected a string key but found ${this.describeChar()}`);
    const key = this.readString().value;
    this.skipWhitespace();
    if (this.text[this.pos] !== ':') throw this.error(`expected ':' but found ${this.describeChar()}`);
    this.pos++;
    this.skipWhitespace();
    return key;
  }

  private readScalar(): JsonNode {
    const start = this.pos;
    const ch = this.text[this.pos];
    if (ch === '"') return this.readString();
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) {
      NUMBER.lastIndex = start;
      const match = NUMBER.exec(this.text);
      if (match === null) throw this.error('malformed number');
      this.pos = NUMBER.lastIndex;
      return { kind: 'number', start, end: this.pos, raw: match[0] };
    }
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, start)) {
        this.pos += word.length;
        return { kind: 'literal', start, end: this.pos, value };
      }
    }
    throw this.error(`expected a value but found ${this.describeChar()}`);
  }

  private readString(): JsonString {
    const start = this.pos++;
    let value = '';
    for (;;) {
      PLAIN_CHARS.lastIndex = this.pos;
      PLAIN_CHARS.exec(this.text);
      value += this.text.slice(this.pos, PLAIN_CHARS.lastIndex);
      this.pos = PLAIN_CHARS.lastIndex;
      const ch = this.text[this.pos];
      if (ch === '"') {
        this.pos++;
        break;
      }
      if (ch === undefined) throw this.error('unterminated string');
      if (ch !== '\\') throw this.error(`control character U+${hex4(ch.charCodeAt(0))} inside a string`);
      const escape = this.text[this.pos + 1];
      if (escape !== undefined && Object.hasOwn(ESCAPES, escape)) {
        value += ESCAPES[escape];
        this.pos += 2;
      } else if (escape === 'u') {
        value += this.readUnicodeEscape();
      } else {
        throw this.error(`invalid escape '\\${escape ?? ''}'`);
      }
    }
    return { kind: 'string', start, end: this.pos, value };
  }

  /** `\uXXXX`, or a surrogate pair written as two of them. */
  private readUnicodeEscape(): string {
    const unit = this.readHex4();
    if (unit >= 0xdc00 && unit <= 0xdfff) throw this.error('unpaired low surrogate escape');
    if (unit < 0xd800 || unit > 0xdbff) return String.fromCharCode(unit);
    if (this.text[this.pos] !== '\\' || this.text[this.pos + 1] !== 'u') throw this.error('unpaired high surrogate escape');
    const low = this.readHex4();
    if (low < 0xdc00 || low > 0xdfff) throw this.error('unpaired high surrogate escape');
    return String.fromCharCode(unit, low);
  }

  private readHex4(): number {
    const digits = this.text.slice(this.pos + 2, this.pos + 6);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) throw this.error('invalid \\u escape');
    this.pos += 6;
    return parseInt(digits, 16);
  }

  private skipWhitespace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.pos++;
    }
  }

  private describeChar(): string {
    const code = this.text.codePointAt(this.pos);
    if (code === undefined) return 'the end of the header';
    if (code === 0xfeff) return 'a byte-order mark (U+FEFF)';
    if (code > 0x20 && code < 0x7f) return `'${String.fromCodePoint(code)}'`;
    return `U+${hex4(code)}`;
  }

  private error(message: string): JsonSyntaxError {
    return new JsonSyntaxError(message, this.pos);
  }
}

function hex4(code: number): string {
  return code.toString(16).toUpperCase().padStart(4, '0');
}
