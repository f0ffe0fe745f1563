// PayStar's use of literal JSON text: the callback signature covers `amount` as it is written in the body
// ("100.50" is not "100.5"), and create bodies carry `amount` as a raw number literal, never a float.
import { topLevelMembers } from '../raw-json.ts';

export { topLevelMembers, type RawMember } from '../raw-json.ts';

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
