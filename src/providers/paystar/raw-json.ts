// Reading a member's literal text straight from JSON text. PayStar signs callbacks over `amount` as it
// is written in the body ("100.50" is not "100.5"), and JSON.parse would turn the literal into a float and
// lose that; so the top-level members are scanned as text. Nested values are skipped, not interpreted.

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
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(raw)) return { ok: true, text: raw, kind: 'number' };
  return { ok: false, reason: `"${name}" is not a number or a string` };
}

/**
 * JSON text of `members` with one member written as a raw number literal first: PayStar wants `amount` as
 * a JSON number, and the decimal text goes in as written, never through a float.
 */
export function jsonWithNumberLiteral(name: string, literal: string, rest: Record<string, unknown>): string {
  if (!/^-?(0|[1-9]\d*)(\.\d+)?$/.test(literal)) throw new RangeError(`not a decimal literal: ${JSON.stringify(literal)}`);
  const tail = JSON.stringify(rest);
  return `{${JSON.stringify(name)}:${literal}${tail === '{}' ? '}' : ',' + tail.slice(1)}`;
}
