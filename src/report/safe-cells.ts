// Cell guards for report files (DESIGN §7): formula neutralisation and account masking.

/** Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"). */
const FORMULA_TRIGGERS = new Set(['=', '+', '-', '@', '\t', '\r']);

/**
 * Text cells that start with `=`, `+`, `-`, `@`, tab or carriage return get a leading `'`, so a
 * spreadsheet shows them as text instead of evaluating them; everything else is returned unchanged.
 * Apply to text columns only: amounts are written as numbers (XLSX) or plain decimal text (CSV).
 */
export function neutraliseFormula(text: string): string {
  if (text.length === 0) return text;
  return FORMULA_TRIGGERS.has(text[0]!) ? `'${text}` : text;
}

/**
 * Masks an account or card number for a report. 'none' returns the value as given. 'last4' drops
 * spaces and dashes, then shows '****' and the last 4 characters ('GB29 NWBK 6016 1331 9268 19' →
 * '****6819'); a value of 4 characters or fewer is masked whole ('****') since its last 4 are all of
 * it. An empty cell stays empty.
 */
export function maskAccount(value: string, mode: 'last4' | 'none'): string {
  if (mode === 'none') return value;
  const compact = value.replace(/[\s-]+/g, '');
  if (compact.length === 0) return '';
  if (compact.length <= 4) return '****';
  return `****${compact.slice(-4)}`;
}

/**
 * An amount cell in a CSV report: kept as written when it is number-like (digits with `.`/`,`/space
 * grouping and an optional sign, e.g. "-1,500.00"), which a spreadsheet reads as a number and cannot
 * run; anything else (an invalid row's "=1+2") is neutralised like a text cell.
 */
export function safeAmountText(text: string): string {
  return /^[+-]?[0-9][0-9., ]*$/.test(text) ? text : neutraliseFormula(text);
}
