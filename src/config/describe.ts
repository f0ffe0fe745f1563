// One clear line per configuration problem. A typo in a key must never switch a control off silently
// (`"limts"` would otherwise pay a batch the limits would have held), so every object is strict and the
// message names the unknown key and the known key it most likely meant.
import type { z } from 'zod';

/** Levenshtein distance, case-insensitive (keys are camelCase: `baseURL` means `baseUrl`). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[t.length]!;
}

/** The known word closest to `word`, when it is close enough to be a plausible typo of it. */
export function nearest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(word, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  if (best === undefined) return undefined;
  // A prefix or a suffix of the known key ("limit" for "limits", "deadline" for "deadlineHours") is a typo too.
  const lw = word.toLowerCase();
  const lb = best.toLowerCase();
  const affix = lw.length >= 3 && (lb.startsWith(lw) || lw.startsWith(lb));
  return bestDistance <= Math.max(2, Math.floor(best.length / 3)) || affix ? best : undefined;
}

type Def = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; in?: z.ZodType; out?: z.ZodType; valueType?: z.ZodType; element?: z.ZodType; options?: z.ZodType[]; getter?: () => z.ZodType };
const defOf = (schema: z.ZodType | undefined): Def | undefined => (schema as unknown as { _zod?: { def?: Def } } | undefined)?._zod?.def;

/** Peels defaults, optionals, pipes and lazies off a schema. */
function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  for (let i = 0; i < 20 && schema; i++) {
    const def = defOf(schema);
    if (!def) return schema;
    if (def.innerType) schema = def.innerType;
    else if (def.type === 'pipe') schema = defOf(def.in)?.type === 'transform' ? def.out : def.in;
    else if (def.type === 'lazy' && def.getter) schema = def.getter();
    else return schema;
  }
  return schema;
}

/** The object keys a schema knows at `path` (empty when the path does not lead to an object). */
export function knownKeysAt(root: z.ZodType, path: readonly PropertyKey[]): string[] {
  let schema = unwrap(root);
  for (const segment of path) {
    const def = defOf(schema);
    if (!def) return [];
    if (def.type === 'object') schema = unwrap(def.shape?.[String(segment)]);
    else if (def.type === 'record') schema = unwrap(def.valueType);
    else if (def.type === 'array') schema = unwrap(def.element);
    else if (def.type === 'union') schema = unwrap(def.options?.find((o) => defOf(unwrap(o))?.type === 'object'));
    else return [];
  }
  const def = defOf(schema);
  if (def?.type === 'union') return [...new Set(def.options?.flatMap((o) => Object.keys(defOf(unwrap(o))?.shape ?? {})) ?? [])];
  return def?.type === 'object' ? Object.keys(def.shape ?? {}) : [];
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const segment of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[segment as string];
  }
  return v;
}

const join = (where: string, path: readonly PropertyKey[]) => [where, ...path.map(String)].join('.');

/**
 * The issues of a failed parse as `config.limts: unknown key (did you mean "limits"?)` lines joined by "; ".
 * Values are shown only for enumerations (a short word that matched none of the allowed ones), never
 * otherwise: a misplaced secret must not end up in an error message.
 */
export function describeZodError(error: z.ZodError, where: string, root?: z.ZodType, input?: unknown): string {
  const lines: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = root ? knownKeysAt(root, issue.path) : [];
      for (const key of issue.keys) {
        const guess = nearest(key, known);
        lines.push(`${join(where, [...issue.path, key])}: unknown key${guess ? ` (did you mean "${guess}"?)` : known.length ? ` (known keys: ${known.join(', ')})` : ''}`);
      }
    } else if (issue.code === 'invalid_value' && issue.values.every((v) => typeof v === 'string')) {
      const allowed = issue.values as string[];
      const given = valueAt(input, issue.path);
      const shown = typeof given === 'string' && given.length <= 40 && !/\s/.test(given) ? `"${given}" ` : '';
      const guess = typeof given === 'string' ? nearest(given, allowed) : undefined;
      lines.push(`${join(where, issue.path)}: ${shown}is not one of ${allowed.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`);
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // The branch that got furthest says what is wrong (fewest issues).
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
      lines.push(describeZodError({ issues: best.map((i) => ({ ...i, path: [...issue.path, ...i.path] })) } as z.ZodError, where, root, input));
    } else {
      lines.push(`${join(where, issue.path)}: ${issue.message}`);
    }
  }
  return lines.join('; ');
}
