// PayStar's use of literal JSON text: the callback signature covers `amount` as it is written in the body
// ("100.50" is not "100.5"), and create bodies carry `amount` as a raw number literal, never a float. The
// scanning and writing are the shared ones (../raw-json.ts).
import { decimalNumber, writeJsonObject } from '../raw-json.ts';

export { scalarLiteral, topLevelMembers, type RawMember, type ScalarLiteral } from '../raw-json.ts';

/**
 * JSON text of `rest` with one member written first as a raw number literal: PayStar wants `amount` as a
 * JSON number, and the decimal text goes in as written, never through a float.
 */
export function jsonWithNumberLiteral(name: string, literal: string, rest: Record<string, unknown>): string {
  return writeJsonObject([[name, decimalNumber(literal)], ...Object.entries(rest)]);
}
