// Lossless JSON for StarPago: amounts travel as JSON numbers (`"amount": 1500.00`, `"paidAmount": 12.5`),
// so whole answers are parsed with every number kept as its literal text (a JsonNumber), and requests are
// written by the shared writer (../raw-json.ts) with the decimal text as a raw literal. No money value
// ever becomes a JS float.
import { JsonNumber, writeJson } from '../raw-json.ts';

export { JsonNumber };

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WS = /[ \t\n\r]*/y;
const MAX_DEPTH = 64;

class Parser {
  pos = 0;
  constructor(readonly s: string) {}

  fail(): never {
    throw new SyntaxError(`invalid JSON at ${this.pos}`);
  }

  ws(): void {
    WS.lastIndex = this.pos;
    WS.exec(this.s);
    this.pos = WS.lastIndex;
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail();
    this.ws();
    const c = this.s[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (this.s.startsWith('true', this.pos)) return (this.pos += 4), true;
    if (this.s.startsWith('false', this.pos)) return (this.pos += 5), false;
    if (this.s.startsWith('null', this.pos)) return (this.pos += 4), null;
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.s);
    if (!m) this.fail();
    this.pos = NUMBER.lastIndex;
    return new JsonNumber(m[0]);
  }

  string(): string {
    const start = this.pos;
    let i = start + 1;
    for (;;) {
      const c = this.s.charCodeAt(i);
      if (Number.isNaN(c)) this.fail();
      if (c === 0x5c) i += 2;
      else if (c === 0x22) break;
      else if (c < 0x20) this.fail();
      else i++;
    }
    this.pos = i + 1;
    try {
      return JSON.parse(this.s.slice(start, i + 1)) as string;
    } catch {
      return this.fail();
    }
  }

  object(depth: number): JsonObject {
    // Null prototype: a key named "__proto__" is data, not a prototype change.
    const out = Object.create(null) as JsonObject;
    this.pos++;
    this.ws();
    if (this.s[this.pos] === '}') return this.pos++, out;
    for (;;) {
      this.ws();
      if (this.s[this.pos] !== '"') this.fail();
      const key = this.string();
      this.ws();
      if (this.s[this.pos] !== ':') this.fail();
      this.pos++;
      out[key] = this.value(depth + 1);
      this.ws();
      const c = this.s[this.pos++];
      if (c === '}') return out;
      if (c !== ',') this.fail();
    }
  }

  array(depth: number): JsonValue[] {
    const out: JsonValue[] = [];
    this.pos++;
    this.ws();
    if (this.s[this.pos] === ']') return this.pos++, out;
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.pos++];
      if (c === ']') return out;
      if (c !== ',') this.fail();
    }
  }
}

/** Parses JSON keeping numbers as literal text; undefined when the text is not JSON. */
export function parseLossless(text: string): JsonValue | undefined {
  const p = new Parser(text.replace(/^\uFEFF/, ''));
  try {
    const v = p.value(0);
    p.ws();
    return p.pos === p.s.length ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Writes JSON; JsonNumber values are written as their literal text (a decimal amount stays exact). */
export function stringifyLossless(value: JsonValue | undefined): string {
  return writeJson(value);
}

export function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

/** A field as text: strings as they are, numbers as their literal; anything else undefined. */
export function textOf(v: JsonValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof JsonNumber) return v.text;
  return undefined;
}

/** Own property of a lossless object (null-prototype objects have no inherited keys anyway). */
export function field(obj: JsonValue | undefined, key: string): JsonValue | undefined {
  if (!isObject(obj)) return undefined;
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}
