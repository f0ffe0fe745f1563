// Reading a JSON object's top-level members as the literal text they were written with. Providers sign
// over values as they appear in the body ("100.50" is not "100.5"), and JSON.parse would turn a number
// literal into a float and lose that; so the members are scanned as text. Nested values are skipped whole,
// not interpreted. Shared by PayStar (the callback `amount`) and Vexora (every webhook field).

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
