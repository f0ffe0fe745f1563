// Check-digit algorithms of the national identifiers StarPago's Latin American rails use. Each is the
// public standard of its issuer (Banxico CLABE, Receita Federal CPF/CNPJ, SII RUT, AFIP CUIT, BCRA CBU,
// ISO 13616 IBAN, ISO/IEC 7812 Luhn); none of them is StarPago-specific.
import { luhnValid } from '../luhn.ts';

const digitsOf = (s: string) => Array.from(s, (c) => c.charCodeAt(0) - 48);

/** Mexican CLABE: 18 digits, the last a check digit with weights 3,7,1 over the first 17 (Banxico). */
export function clabeCheckDigit(first17: string): number {
  const weights = [3, 7, 1];
  const sum = digitsOf(first17).reduce((acc, d, i) => acc + ((d * weights[i % 3]!) % 10), 0);
  return (10 - (sum % 10)) % 10;
}

export function isValidClabe(value: string): boolean {
  return /^\d{18}$/.test(value) && clabeCheckDigit(value.slice(0, 17)) === Number(value[17]);
}

/** Brazilian CPF: 11 digits, two mod-11 check digits; repeated digits (111…) are invalid. */
export function isValidCpf(value: string): boolean {
  if (!/^\d{11}$/.test(value) || /^(\d)\1{10}$/.test(value)) return false;
  const d = digitsOf(value);
  const check = (n: number) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += d[i]! * (n + 1 - i);
    const r = (sum * 10) % 11;
    return r === 10 ? 0 : r;
  };
  return check(9) === d[9] && check(10) === d[10];
}

/** Brazilian CNPJ: 14 digits, two mod-11 check digits. */
export function isValidCnpj(value: string): boolean {
  if (!/^\d{14}$/.test(value) || /^(\d)\1{13}$/.test(value)) return false;
  const d = digitsOf(value);
  const check = (weights: number[]) => {
    const sum = weights.reduce((acc, w, i) => acc + w * d[i]!, 0);
    const r = sum % 11;
    return r < 2 ? 0 : 11 - r;
  };
  return check([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]) === d[12] && check([6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]) === d[13];
}

/** Chilean RUT: body digits and a mod-11 verifier (0-9 or K), written `12345678-5` (dots allowed). */
export function isValidRut(value: string): boolean {
  const m = /^(\d{1,3}(?:\.?\d{3})*)-?([\dkK])$/.exec(value.trim());
  if (!m) return false;
  const body = m[1]!.replace(/\./g, '');
  if (body.length < 7 || body.length > 8) return false;
  let sum = 0;
  let weight = 2;
  for (let i = body.length - 1; i >= 0; i--) {
    sum += Number(body[i]) * weight;
    weight = weight === 7 ? 2 : weight + 1;
  }
  const r = 11 - (sum % 11);
  const expected = r === 11 ? '0' : r === 10 ? 'K' : String(r);
  return m[2]!.toUpperCase() === expected;
}

/** Argentine CUIT/CUIL: 11 digits (dashes allowed), mod-11 check digit. */
export function isValidCuit(value: string): boolean {
  const s = value.replace(/-/g, '');
  if (!/^\d{11}$/.test(s)) return false;
  const weights = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
  const d = digitsOf(s);
  const sum = weights.reduce((acc, w, i) => acc + w * d[i]!, 0);
  const r = 11 - (sum % 11);
  const expected = r === 11 ? 0 : r === 10 ? 9 : r;
  return expected === d[10];
}

/** Argentine CBU/CVU: 22 digits in two blocks, each ending in a check digit (BCRA). */
export function isValidCbu(value: string): boolean {
  if (!/^\d{22}$/.test(value)) return false;
  const d = digitsOf(value);
  const block = (from: number, len: number, weights: number[]) => {
    let sum = 0;
    for (let i = 0; i < len; i++) sum += d[from + i]! * weights[i % weights.length]!;
    return (10 - (sum % 10)) % 10;
  };
  return block(0, 7, [7, 1, 3, 9]) === d[7] && block(8, 13, [3, 9, 7, 1]) === d[21];
}

/** IBAN (ISO 13616): country, check digits, mod 97 = 1. `country` pins the prefix (TR: 26 characters). */
export function isValidIban(value: string, country?: string): boolean {
  const s = value.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(s)) return false;
  if (country && !s.startsWith(country)) return false;
  if (country === 'TR' && s.length !== 26) return false;
  const rearranged = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const c of rearranged) {
    const v = c >= 'A' ? String(c.charCodeAt(0) - 55) : c;
    for (const ch of v) rem = (rem * 10 + Number(ch)) % 97;
  }
  return rem === 1;
}

/** Card numbers: 12–19 digits, Luhn. */
export function isValidLuhn(value: string): boolean {
  return /^\d{12,19}$/.test(value) && luhnValid(value);
}
