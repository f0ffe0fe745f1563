/**
 * Header matching (DESIGN §5): sheet header cells → canonical column names.
 *
 * Headers match case-, space-, dash- and underscore-insensitively against each column's aliases, so
 * `Account Number`, `account_number`, `account-number`, `ACCOUNTNUMBER` and `accountNumber` are one column.
 * `extra.<key>` / `field.<key>` (case-insensitive prefix) are pass-through groups whose key is kept as
 * written, because it is sent to the provider verbatim (StarPago `extra`, PayStar `additionalFields`).
 */

export const CANONICAL_COLUMNS: readonly string[] = Object.freeze([
  'reference',
  'amount',
  'currency',
  'first_name',
  'middle_name',
  'last_name',
  'account_name',
  'account_number',
  'bank_code',
  'bank_name',
  'routing_number',
  'account_type',
  'email',
  'mobile',
  'date_of_birth',
  'street',
  'city',
  'state',
  'zip',
  'country',
  'payee_id',
  'customer_no',
  'account_token',
  'method',
  'note',
  'profile_type',
]);

/**
 * Aliases a finance team actually writes. The canonical name itself always matches and is not repeated.
 * No alias may belong to two columns (a test checks this); a provider's own names come in through
 * `matchHeaders(header, extraAliases)` and win over these.
 */
export const CANONICAL_ALIASES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  reference: ['ref', 'reference no', 'reference number', 'merchant reference', 'payment reference', 'payout reference'],
  amount: ['payout amount', 'payment amount', 'amt', 'sum'],
  currency: ['ccy', 'currency code'],
  first_name: ['firstname', 'first', 'given name', 'forename'],
  middle_name: ['middlename', 'middle'],
  last_name: ['lastname', 'surname', 'family name'],
  account_name: ['account holder', 'account holder name', 'acct name', 'beneficiary name', 'payee name', 'name on account'],
  account_number: ['account no', 'account #', 'acct no', 'acct number', 'acct #', 'bank account number', 'bank account no', 'bank account'],
  bank_code: ['bank id', 'bank identifier'],
  bank_name: ['bank', 'receiving bank', 'beneficiary bank'],
  routing_number: ['aba', 'routing', 'aba routing number', 'aba number', 'routing no', 'routing transit number', 'rtn'],
  account_type: ['acct type', 'bank account type'],
  email: ['e-mail', 'email address', 'e-mail address'],
  mobile: ['phone', 'mobile number', 'mobile no', 'mobile phone', 'phone number', 'phone no', 'cell', 'cell phone', 'telephone', 'tel'],
  date_of_birth: ['dob', 'birth date', 'birthdate', 'birthday'],
  street: ['address', 'street address', 'address line 1', 'address1', 'address 1'],
  city: ['town'],
  state: ['province', 'region', 'state/province'],
  zip: ['postal code', 'postcode', 'zip code', 'postal'],
  country: ['country code'],
  payee_id: ['payee', 'beneficiary id', 'recipient id', 'payee code'],
  customer_no: ['customer number', 'customer id', 'customer #'],
  account_token: ['token', 'card token'],
  method: ['payment method', 'payout method', 'pay method', 'channel'],
  note: ['notes', 'remark', 'remarks', 'memo', 'description', 'comment'],
  profile_type: ['profile', 'payee type', 'entity type'],
});

// Characters that never make two headers different: whitespace (incl. NBSP via \s), BOM, zero-width
// spaces, and every kind of dash or underscore. The dot is kept: it separates `extra.` / `field.` keys.
const IGNORED = /[\s\uFEFF\u200B-\u200D\u2060_\-\u2010-\u2015\u2212]+/g;

/** Lower-case and drop spaces, dashes and underscores (NFKC first, so full-width letters match too). */
export function normalizeHeader(h: string): string {
  return h.normalize('NFKC').replace(IGNORED, '').toLowerCase();
}

export interface HeaderMatch {
  /** canonical name (or 'extra.<key>' / 'field.<key>' with the key as written after the prefix) -> column index */
  columns: Map<string, number>;
  /** indices of columns that match nothing (kept and copied to the result file); empty header cells included */
  unknown: number[];
  /**
   * Columns that lost to a better header of the same column (`Comment` beside `Note`): index -> the column
   * they would have been. Also in `unknown` (kept, copied, never sent); an account number among them is
   * still masked in the reports.
   */
  shadowed: Map<number, string>;
  /** problems: the same column matched twice, a pass-through prefix without a key */
  problems: { column: string; message: string }[];
}

const PASS_THROUGH = /^[\s\uFEFF]*(extra|field)[\s]*\.(.*)$/is;

/** Spreadsheet column letter of a 0-based index: 0 → A, 25 → Z, 26 → AA. */
export function columnLetter(index: number): string {
  let n = index + 1;
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

/**
 * How well a header names its column: the canonical name itself (or a pass-through key as written) beats
 * the provider's own field name, which beats a generic alias. Only the best match of a column counts.
 */
const EXACT = 0;
const PROVIDER_NAME = 1;
const ALIAS = 2;

interface Target {
  name: string;
  rank: number;
}

function buildLookup(extraAliases?: Readonly<Record<string, readonly string[]>>): Map<string, Target> {
  const lookup = new Map<string, Target>();
  for (const name of CANONICAL_COLUMNS) {
    for (const alias of CANONICAL_ALIASES[name] ?? []) lookup.set(normalizeHeader(alias), { name, rank: ALIAS });
  }
  for (const name of CANONICAL_COLUMNS) lookup.set(normalizeHeader(name), { name, rank: EXACT });
  if (extraAliases) {
    // A provider's own field names win over the generic aliases (e.g. a provider whose `bank` means a code).
    for (const [name, aliases] of Object.entries(extraAliases)) {
      for (const alias of aliases) lookup.set(normalizeHeader(alias), { name, rank: PROVIDER_NAME });
    }
    for (const name of Object.keys(extraAliases)) lookup.set(normalizeHeader(name), { name, rank: EXACT });
  }
  return lookup;
}

/**
 * extraAliases: provider-specific aliases per canonical column (e.g. { account_number: ['accountNo'], reference: ['tradeNo'] }).
 *
 * When several headers match one column, the best match is the column (`Note` over `Comment`, `accountNo`
 * over `account no`) and the others are kept as unknown columns, copied to the result file. Two headers
 * that are equally good matches are a problem: paybatch cannot tell which one the sender meant.
 */
export function matchHeaders(
  header: string[],
  extraAliases?: Readonly<Record<string, readonly string[]>>,
): HeaderMatch {
  const lookup = buildLookup(extraAliases);
  const unknown: number[] = [];
  const problems: { column: string; message: string }[] = [];
  /** target -> the headers that match it, in sheet order */
  const candidates = new Map<string, { index: number; rank: number }[]>();

  const describe = (i: number) => `"${header[i]}" (column ${columnLetter(i)})`;

  for (let i = 0; i < header.length; i++) {
    const text = header[i] ?? '';
    let target: Target | undefined;

    const pass = PASS_THROUGH.exec(text);
    if (pass) {
      const group = pass[1]!.toLowerCase();
      const key = pass[2]!.trim();
      if (key === '') {
        problems.push({ column: text.trim(), message: `header ${describe(i)} has no key after "${group}."` });
        continue;
      }
      target = { name: `${group}.${key}`, rank: EXACT };
    } else {
      const norm = normalizeHeader(text);
      if (norm === '') {
        unknown.push(i);
        continue;
      }
      target = lookup.get(norm);
    }

    if (target === undefined) {
      unknown.push(i);
      continue;
    }
    const list = candidates.get(target.name);
    if (list) list.push({ index: i, rank: target.rank });
    else candidates.set(target.name, [{ index: i, rank: target.rank }]);
  }

  const columns = new Map<string, number>();
  const shadowed = new Map<number, string>();
  for (const [name, list] of candidates) {
    let best = list[0]!.rank;
    for (const c of list) if (c.rank < best) best = c.rank;
    const tied = list.filter((c) => c.rank === best);
    columns.set(name, tied[0]!.index);
    if (tied.length > 1) {
      const which = tied.map((c) => describe(c.index));
      const listed = which.length === 2 ? `${which[0]} and ${which[1]}` : `${which.slice(0, -1).join(', ')} and ${which[which.length - 1]}`;
      problems.push({
        column: name,
        message:
          best === EXACT
            ? `${listed} are both the column ${name}: remove or rename all but one`
            : `${listed} are equally good matches for the column ${name}: title the one to use "${name}" (the others are then kept as extra columns), or remove the others`,
      });
    }
    for (const c of list) {
      if (c.rank === best) continue;
      unknown.push(c.index);
      shadowed.set(c.index, name);
    }
  }
  unknown.sort((a, b) => a - b);
  return { columns, unknown, shadowed, problems };
}
