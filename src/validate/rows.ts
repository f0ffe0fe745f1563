// Row validation: the common rules (required columns, formats, currency, money, reference, Excel damage,
// duplicate references in the file) and then the provider's own rules. All errors of a row are collected.
import { columnLetter, type HeaderMatch } from '../sheet/headers.ts';
import { CONTROL_CHARACTER, controlCodePoints, escapeControlCharacters, type CellNote, type RawRow } from '../sheet/types.ts';
import type { ColumnSpec, ProviderModule, RowIssue, RowRules } from '../providers/types.ts';
import type { NewPayout } from '../journal/contract.ts';
import type { RowProblem } from './problem.ts';
import { isKnownCurrency } from './currencies.ts';
import { parseMoneyMinor } from './money.ts';

export interface ValidatorOptions {
  /** The sheet's file name, as problems name it ('' when there is none, e.g. rules checked on their own). */
  file?: string;
  header: string[];
  match: HeaderMatch;
  rules: RowRules;
  provider: ProviderModule;
  /** `<yyyymmdd>-<8 hex of the file's SHA-256>`: the seed of derived references. */
  batchKey: string;
}

export interface ValidatedRow {
  payout: NewPayout;
  issues: RowProblem[];
}

/** The columns a provider declares as account or card numbers under its own names (ColumnSpec.masked). */
export function maskedColumnNames(rules: RowRules): string[] {
  return rules.columns.filter((c) => c.masked).map((c) => c.name);
}

/**
 * Columns whose values are account or card numbers (masked in reports and logs): `account_number`, any column
 * named for a card, an account or an IBAN, and the columns the provider declares (`declared`, from
 * maskedColumnNames) — so the names a provider gives its account numbers live in its own folder.
 */
export function accountColumnIndices(match: HeaderMatch, declared: readonly string[] = []): number[] {
  const out: number[] = [];
  const own = new Set(declared);
  const isAccount = (name: string) =>
    (name === 'account_number' || own.has(name) || /card|account|iban/i.test(name.replace(/^(extra|field)\./, ''))) &&
    name !== 'account_name' && name !== 'account_type' && name !== 'account_token';
  for (const [name, index] of match.columns) if (isAccount(name)) out.push(index);
  // A second account column that lost to a better-named one is not sent, but it is still an account number.
  for (const [index, name] of match.shadowed) if (isAccount(name)) out.push(index);
  return out.sort((a, b) => a - b);
}

const NO_ISSUES: RowProblem[] = [];

const EXCEL_DIGITS = 'Format the column as Text and type the number again';

/**
 * Why an identifier that Excel stored as a number has lost digits, or undefined if it has not. Excel keeps
 * 15 significant digits: an 18-digit CLABE typed as a number is stored as 8.80123456789012E+17 and read
 * back as 880123456789012000, which still looks like 18 digits. A fraction is never part of an identifier.
 */
export function excelNumberDamage(note: CellNote | undefined): string | undefined {
  if (note?.kind !== 'number') return undefined;
  if (note.scientific)
    return `Excel stored this identifier as a number in scientific notation: its digits are lost and cannot be recovered. ${EXCEL_DIGITS}`;
  const text = note.text.startsWith('-') ? note.text.slice(1) : note.text;
  const dot = text.indexOf('.');
  const integerDigits = dot < 0 ? text.length : dot;
  if (integerDigits >= 16)
    return `Excel stored this identifier as a number of ${integerDigits} digits but keeps only 15: the digits after the 15th are lost and cannot be recovered. ${EXCEL_DIGITS}`;
  if (dot >= 0)
    return `Excel stored this identifier as a number with decimals: an identifier has none, so its digits were lost or changed. ${EXCEL_DIGITS}`;
  return undefined;
}

/** Errors name a column as the sheet titles it (so the operator finds it), else by its canonical name. */
export function columnTitle(header: readonly string[], match: HeaderMatch, name: string): string {
  const index = match.columns.get(name);
  return index === undefined ? name : header[index] || name;
}

export class RowValidator {
  private readonly seenReferences = new Map<string, number>();
  /** Each column rule with its column's index in the sheet, resolved once (this runs a million times). */
  private readonly specs: { spec: ColumnSpec; index: number | undefined }[];
  /** The matched columns: canonical names and their sheet indices, side by side. */
  private readonly names: string[];
  private readonly indices: number[];
  private readonly amountIndex: number | undefined;

  private readonly file: string;

  constructor(private readonly options: ValidatorOptions) {
    this.file = options.file ?? '';
    this.specs = options.rules.columns.map((spec) => ({ spec, index: options.match.columns.get(spec.name) }));
    this.amountIndex = options.match.columns.get('amount');
    this.names = [...options.match.columns.keys()];
    this.indices = [...options.match.columns.values()];
  }

  /** Required columns missing, doubled columns: file-level problems (every row is unusable), reported once. */
  fileProblems(): RowProblem[] {
    const file = this.file;
    const missing: RowProblem[] = this.specs
      .map(({ spec }) => spec)
      .filter((spec) => spec.required && !this.options.match.columns.has(spec.name))
      .map((spec) => ({
        file,
        row: null,
        column: spec.name,
        value: '',
        rule: 'missing-column',
        message: `the sheet has no ${spec.name} column (accepted titles: ${[spec.name, ...(spec.aliases ?? [])].join(', ')})`,
      }));
    const header = this.options.match.problems.map((p) => ({ file, row: 1, column: p.column, value: '', rule: 'header', message: p.message }));
    return [...missing, ...header];
  }

  validate(raw: RawRow): ValidatedRow {
    const { rules, provider, batchKey } = this.options;
    const issues: RowIssue[] = [];
    // A control character in any cell, sent or not (the others are copied to the results), makes the row
    // invalid; from then on the row is seen escaped, so no error, reference or result cell carries one.
    // One precompiled regex test a cell: this runs a million times.
    let values = raw.values;
    let controlIssues: RowProblem[] | undefined;
    for (let i = 0; i < values.length; i++) {
      if (!CONTROL_CHARACTER.test(values[i]!)) continue;
      controlIssues = this.controlIssues(raw);
      values = values.map(escapeControlCharacters);
      break;
    }
    const fields: Record<string, string> = {};
    const { names, indices, specs } = this;
    for (let c = 0; c < names.length; c++) {
      const cell = values[indices[c]!];
      const value = cell === undefined ? '' : cell.trim();
      if (value !== '') fields[names[c]!] = value;
    }

    for (let c = 0; c < specs.length; c++) {
      const { spec, index } = specs[c]!;
      const value = fields[spec.name] ?? '';
      const note = index === undefined || !raw.notes ? undefined : raw.notes[index];
      const damage = spec.identifier ? excelNumberDamage(note) : undefined;
      if (damage !== undefined) {
        issues.push({ column: spec.name, value: note!.text, rule: 'excel-damaged', message: damage });
        continue;
      }
      if (value === '') {
        if (spec.required) issues.push({ column: spec.name, value, rule: 'required', message: `${spec.name} is required` });
        continue;
      }
      if (spec.maxLength !== undefined && value.length > spec.maxLength)
        issues.push({ column: spec.name, value, rule: 'max-length', message: `at most ${spec.maxLength} characters` });
      if (spec.pattern && !spec.pattern.test(value)) {
        const excel = spec.identifier && note?.kind === 'number' ? ' (Excel stored it as a number, so leading zeros are lost: format the column as Text)' : '';
        issues.push({ column: spec.name, value, rule: 'format', message: `expected ${spec.patternHint ?? spec.pattern.source}${excel}` });
      }
    }

    // Currency: the sheet's, else the one the provider or its country profile implies.
    let currency = (fields.currency ?? rules.defaultCurrency ?? '').toUpperCase();
    if (fields.currency) fields.currency = currency;
    let currencyOk = true;
    if (!currency) {
      issues.push({ column: 'currency', value: '', rule: 'required', message: 'currency is required' });
      currencyOk = false;
    } else if (!isKnownCurrency(currency)) {
      issues.push({ column: 'currency', value: currency, rule: 'currency', message: `${currency} is not an ISO 4217 currency code` });
      currencyOk = false;
    } else if (rules.currencies !== 'any' && !rules.currencies.includes(currency)) {
      issues.push({ column: 'currency', value: currency, rule: 'currency', message: `${provider.id} accepts ${rules.currencies.join(', ')} here` });
      currencyOk = false;
    }

    let amountMinor: bigint | null = null;
    const amountText = fields.amount ?? '';
    if (amountText !== '' && currencyOk) {
      const money = parseMoneyMinor(amountText, currency);
      if (money.ok) amountMinor = money.minor;
      else issues.push({ column: 'amount', value: amountText, rule: money.rule, message: money.message });
    }
    const amountNote = this.amountIndex === undefined || !raw.notes ? undefined : raw.notes[this.amountIndex];
    if (amountNote?.kind === 'formula-error')
      issues.push({ column: 'amount', value: amountNote.text, rule: 'formula', message: 'the amount formula has no value (error or not calculated): save the sheet in Excel first' });

    // The merchant reference is fixed now and reused on every attempt (DESIGN §3 rule 1).
    let reference: string | null = fields.reference ?? null;
    if (reference !== null) {
      if (!provider.referencePattern.pattern.test(reference)) {
        issues.push({ column: 'reference', value: reference, rule: 'reference-format', message: `${provider.id} references: ${provider.referencePattern.hint}` });
      } else {
        const earlier = this.seenReferences.get(reference);
        if (earlier !== undefined)
          issues.push({ column: 'reference', value: reference, rule: 'duplicate-reference', message: `the same reference is on row ${earlier}` });
        else this.seenReferences.set(reference, raw.rowNumber);
      }
    } else reference = provider.deriveReference(batchKey, raw.rowNumber);

    if (amountMinor !== null && currencyOk) {
      const own = rules.check(fields, { currency, amountMinor });
      for (let i = 0; i < own.length; i++) issues.push(own[i]!);
    }

    let rowIssues: RowProblem[] = issues.length === 0 ? NO_ISSUES : issues.map((i) => ({ ...i, file: this.file, row: raw.rowNumber, column: columnTitle(this.options.header, this.options.match, i.column) }));
    if (controlIssues) rowIssues = [...controlIssues, ...rowIssues];
    const invalid = rowIssues.length > 0;
    return {
      payout: {
        rowNumber: raw.rowNumber,
        merchantReference: reference,
        status: invalid ? 'invalid' : 'validated',
        amountMinor,
        currency: currencyOk ? currency : null,
        original: values,
        fields,
        errorMessage: invalid ? rowIssues.map((i) => `${i.column}: ${i.message}`).join('; ') : null,
      },
      issues: rowIssues,
    };
  }

  /** One error per cell of the row that holds a control character, naming the column as the sheet titles it. */
  private controlIssues(raw: RawRow): RowProblem[] {
    const out: RowProblem[] = [];
    for (let i = 0; i < raw.values.length; i++) {
      const value = raw.values[i]!;
      if (!CONTROL_CHARACTER.test(value)) continue;
      out.push({
        file: this.file,
        row: raw.rowNumber,
        column: this.options.header[i] || columnLetter(i),
        value: escapeControlCharacters(value),
        rule: 'control-character',
        message: `the cell holds a control character (${controlCodePoints(value)}), shown here as \\u…: remove it (no payout field may contain one)`,
      });
    }
    return out;
  }
}

/** Provider aliases per canonical column, for header matching. */
export function providerAliases(rules: RowRules): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of rules.columns) if (c.aliases?.length) out[c.name] = c.aliases;
  return out;
}
