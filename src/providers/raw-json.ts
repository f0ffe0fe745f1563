// JSON as literal text, both ways, shared by every provider. Providers sign over values as they appear in
// the body ("100.50" is not "100.5") and write amounts as JSON numbers; JSON.parse and JSON.stringify would
// send both through a float. Reading: a JSON object's top-level members are scanned as the text they were
// written with (nested values skipped whole, not interpreted). Writing: a JsonNumber goes in as its literal.

export interface RawMember {
  /** Member name, with JSON escapes decoded. */
  name: string;
  /** The value exactly as written: `100.50`, `"100.50"`, `{...}`, `null`. */
  raw: string;
}

function skipWs(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  return i;
}

/** Index just past the string literal starting at i (text[i] === '"'), or -1. */
function endOfString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === '"') return j + 1;
    else if (c < ' ') return -1;
  }
  return -1;
}

/** Index just past the value starting at i, or -1 when it is malformed. */
function endOfValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return endOfString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') {
        const end = endOfString(text, j);
        if (end < 0) return -1;
        j = end - 1;
      } else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < text.length && !/[\s,}\]]/.test(text[j]!)) j++;
  return j > i ? j : -1;
}

/** The top-level members of a JSON object text, in order (duplicates kept), or undefined if it is not one. */
export function topLevelMembers(text: string): RawMember[] | undefined {
  const members: RawMember[] = [];
  let i = skipWs(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  if (text[i] !== '{') return undefined;
  i = skipWs(text, i + 1);
  if (text[i] === '}') return skipWs(text, i + 1) === text.length ? members : undefined;
  for (;;) {
    if (text[i] !== '"') return undefined;
    const keyEnd = endOfString(text, i);
    if (keyEnd < 0) return undefined;
    let name: string;
    try {
      name = JSON.parse(text.slice(i, keyEnd)) as string;
    } catch {
      return undefined;
    }
    i = skipWs(text, keyEnd);
    if (text[i] !== ':') return undefined;
    i = skipWs(text, i + 1);
    const valueEnd = endOfValue(text, i);
    if (valueEnd < 0) return undefined;
    members.push({ name, raw: text.slice(i, valueEnd) });
    i = skipWs(text, valueEnd);
    if (text[i] === ',') {
      i = skipWs(text, i + 1);
      continue;
    }
    if (text[i] === '}') return skipWs(text, i + 1) === text.length ? members : undefined;
    return undefined;
  }
}

/** A JSON number kept exactly as written (an amount: never a float). */
export class JsonNumber {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const NUMBER_LITERAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const DECIMAL_TEXT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;

export function isJsonNumberLiteral(text: string): boolean {
  return NUMBER_LITERAL.test(text);
}

/** Decimal amount text ("1500.00") as a JSON number written as is; anything else (1e3, "1,5") is refused. */
export function decimalNumber(text: string): JsonNumber {
  if (!DECIMAL_TEXT.test(text)) throw new RangeError(`not a decimal literal: ${JSON.stringify(text)}`);
  return new JsonNumber(text);
}

/** Compact JSON text; JsonNumber values are written as their literal, undefined members are left out. */
export function writeJson(value: unknown): string {
  if (value instanceof JsonNumber) {
    if (!isJsonNumberLiteral(value.text)) throw new RangeError(`not a JSON number literal: ${value.text}`);
    return value.text;
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : writeJson(v))).join(',')}]`;
  if (value && typeof value === 'object') return writeJsonObject(Object.entries(value));
  return JSON.stringify(value ?? null);
}

/** A JSON object from members in the given order (the order signatures are computed over). */
export function writeJsonObject(members: Iterable<readonly [string, unknown]>): string {
  const parts: string[] = [];
  for (const [name, value] of members) if (value !== undefined) parts.push(`${JSON.stringify(name)}:${writeJson(value)}`);
  return `{${parts.join(',')}}`;
}

export type ScalarLiteral =
  | { ok: true; text: string; kind: 'number' | 'string' }
  | { ok: false; reason: string };

/**
 * The literal text of a top-level scalar member: a number as written (`100.50`), a string's content
 * (`"100.50"` → `100.50`). Missing, repeated, or non-scalar members are refused: a body naming `amount`
 * twice could have one value signed and another read.
 */
export function scalarLiteral(text: string, name: string): ScalarLiteral {
  const members = topLevelMembers(text);
  if (!members) return { ok: false, reason: 'body is not a JSON object' };
  const found = members.filter((m) => m.name === name);
  if (found.length === 0) return { ok: false, reason: `no "${name}" member` };
  if (found.length > 1) return { ok: false, reason: `"${name}" appears ${found.length} times` };
  const raw = found[0]!.raw;
  if (raw.startsWith('"')) {
    try {
      return { ok: true, text: JSON.parse(raw) as string, kind: 'string' };
    } catch {
      return { ok: false, reason: `"${name}" is not a valid string` };
    }
  }
  if (NUMBER_LITERAL.test(raw)) return { ok: true, text: raw, kind: 'number' };
  return { ok: false, reason: `"${name}" is not a number or a string` };
}

/**
 * Every top-level field as the literal text received, for a signature: a string's content, a number as
 * written (`100.00` stays `100.00`), `true`/`false`, a nested value as its JSON text; `null` is left out like
 * an empty value. A field named twice is refused: one value could be signed and another read. `strings`
 * holds the fields that were JSON strings.
 */
export function literalFields(text: string): { fields: Record<string, string>; strings: Map<string, string> } | { reason: string } {
  try {
    JSON.parse(text);
  } catch {
    return { reason: 'body is not JSON' };
  }
  const members = topLevelMembers(text);
  if (!members) return { reason: 'body is not a JSON object' };
  // No prototype: a member named __proto__ is a field like any other.
  const fields = Object.create(null) as Record<string, string>;
  const strings = new Map<string, string>();
  const seen = new Set<string>();
  for (const { name, raw } of members) {
    if (seen.has(name)) return { reason: `"${name}" appears more than once` };
    seen.add(name);
    if (raw === 'null') continue;
    if (raw.startsWith('"')) {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        value = undefined;
      }
      if (typeof value !== 'string') return { reason: `"${name}" is not a valid string` };
      fields[name] = value;
      strings.set(name, value);
    } else fields[name] = raw;
  }
  return { fields, strings };
}
