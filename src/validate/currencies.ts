// ISO 4217 currency exponents (minor units) and money formatting from integer minor units.
//
// Money rule: amounts are bigint minor units everywhere; decimal text is produced here by string
// manipulation only, never through a JS number.

/**
 * ISO 4217 list one, active codes with a numeric minor unit (codes whose minor unit is "N.A." — gold,
 * SDR, bond units, XTS, XXX, XSU, XUA — are left out: nothing is paid out in them). Withdrawn codes
 * (HRK since 2023) are left out too; ANG, CUC, SLL and ZWL are kept while files may still name them.
 */
const ISO_4217: Readonly<Record<string, number>> = Object.freeze({
  AED: 2, AFN: 2, ALL: 2, AMD: 2, ANG: 2, AOA: 2, ARS: 2, AUD: 2, AWG: 2, AZN: 2,
  BAM: 2, BBD: 2, BDT: 2, BGN: 2, BHD: 3, BIF: 0, BMD: 2, BND: 2, BOB: 2, BOV: 2,
  BRL: 2, BSD: 2, BTN: 2, BWP: 2, BYN: 2, BZD: 2,
  CAD: 2, CDF: 2, CHE: 2, CHF: 2, CHW: 2, CLF: 4, CLP: 0, CNY: 2, COP: 2, COU: 2,
  CRC: 2, CUC: 2, CUP: 2, CVE: 2, CZK: 2,
  DJF: 0, DKK: 2, DOP: 2, DZD: 2,
  EGP: 2, ERN: 2, ETB: 2, EUR: 2,
  FJD: 2, FKP: 2,
  GBP: 2, GEL: 2, GHS: 2, GIP: 2, GMD: 2, GNF: 0, GTQ: 2, GYD: 2,
  HKD: 2, HNL: 2, HTG: 2, HUF: 2,
  IDR: 2, ILS: 2, INR: 2, IQD: 3, IRR: 2, ISK: 0,
  JMD: 2, JOD: 3, JPY: 0,
  KES: 2, KGS: 2, KHR: 2, KMF: 0, KPW: 2, KRW: 0, KWD: 3, KYD: 2, KZT: 2,
  LAK: 2, LBP: 2, LKR: 2, LRD: 2, LSL: 2, LYD: 3,
  MAD: 2, MDL: 2, MGA: 2, MKD: 2, MMK: 2, MNT: 2, MOP: 2, MRU: 2, MUR: 2, MVR: 2,
  MWK: 2, MXN: 2, MXV: 2, MYR: 2, MZN: 2,
  NAD: 2, NGN: 2, NIO: 2, NOK: 2, NPR: 2, NZD: 2,
  OMR: 3,
  PAB: 2, PEN: 2, PGK: 2, PHP: 2, PKR: 2, PLN: 2, PYG: 0,
  QAR: 2,
  RON: 2, RSD: 2, RUB: 2, RWF: 0,
  SAR: 2, SBD: 2, SCR: 2, SDG: 2, SEK: 2, SGD: 2, SHP: 2, SLE: 2, SLL: 2, SOS: 2,
  SRD: 2, SSP: 2, STN: 2, SVC: 2, SYP: 2, SZL: 2,
  THB: 2, TJS: 2, TMT: 2, TND: 3, TOP: 2, TRY: 2, TTD: 2, TWD: 2, TZS: 2,
  UAH: 2, UGX: 0, USD: 2, USN: 2, UYI: 0, UYU: 2, UYW: 4, UZS: 2,
  VED: 2, VES: 2, VND: 0, VUV: 0,
  WST: 2,
  XAF: 0, XCD: 2, XCG: 2, XOF: 0, XPF: 0,
  YER: 2,
  ZAR: 2, ZMW: 2, ZWG: 2, ZWL: 2,
});

/**
 * Codes that are not ISO 4217 but that providers use. USDT (Tether) has no standard exponent: 2 here,
 * unless configuration overrides it (pass `overrides` to the functions below).
 */
const NON_ISO: Readonly<Record<string, number>> = Object.freeze({ USDT: 2 });

/** code → exponent, ISO 4217 plus the non-ISO codes above. */
export const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = Object.freeze({ ...ISO_4217, ...NON_ISO });

/** Codes in CURRENCY_EXPONENTS that are not ISO 4217. */
export const NON_ISO_CURRENCIES: ReadonlySet<string> = new Set(Object.keys(NON_ISO));

/** Per-deployment exponents (config), e.g. `{ USDT: 6 }`; they win over the table. */
export type ExponentOverrides = Readonly<Record<string, number>>;

function own(table: Readonly<Record<string, number>>, code: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(table, code) ? table[code] : undefined;
}

/** The number of decimals of `code` (upper-case, as written in ISO 4217), or undefined when unknown. */
export function currencyExponent(code: string, overrides?: ExponentOverrides): number | undefined {
  if (overrides) {
    const o = own(overrides, code);
    if (o !== undefined) return o;
  }
  return own(CURRENCY_EXPONENTS, code);
}

export function isKnownCurrency(code: string, overrides?: ExponentOverrides): boolean {
  return currencyExponent(code, overrides) !== undefined;
}

/** True for ISO 4217 codes only (USDT and other non-ISO codes are false). */
export function isIsoCurrency(code: string): boolean {
  return own(ISO_4217, code) !== undefined;
}

/** Decimal text of `minor` with `exponent` decimals: (123456n, 2) → "1234.56", (-5n, 2) → "-0.05". */
export function formatMinorWithExponent(minor: bigint, exponent: number): string {
  if (!Number.isInteger(exponent) || exponent < 0 || exponent > 18) {
    throw new RangeError(`invalid currency exponent ${exponent}`);
  }
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString();
  let text: string;
  if (exponent === 0) {
    text = digits;
  } else {
    const padded = digits.padStart(exponent + 1, '0');
    text = `${padded.slice(0, padded.length - exponent)}.${padded.slice(padded.length - exponent)}`;
  }
  return negative ? `-${text}` : text;
}

/**
 * Decimal text of an amount in minor units of `currency`: formatMinor(123456n, 'USD') === '1234.56',
 * formatMinor(-5n, 'USD') === '-0.05', formatMinor(100n, 'JPY') === '100', formatMinor(1n, 'KWD') === '0.001'.
 * Throws on an unknown currency: guessing an exponent would misstate the amount by a factor of 10^n.
 */
export function formatMinor(minor: bigint, currency: string, overrides?: ExponentOverrides): string {
  const exponent = currencyExponent(currency, overrides);
  if (exponent === undefined) throw new RangeError(`unknown currency ${JSON.stringify(currency)}: no ISO 4217 exponent`);
  return formatMinorWithExponent(minor, exponent);
}
