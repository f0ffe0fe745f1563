// Card numbers: Luhn check, masking, and scrubbing them out of any text paybatch produces.
// A full card number never appears in a message, a log line or a report written by this provider.
import { maskNumber } from '../../log.ts';
import { luhnValid as luhnDigitsValid } from '../luhn.ts';

/** Digits of a card number as finance writes it ("4111 1111-1111 1111" → "4111111111111111"). */
export function cardDigits(value: string): string {
  return value.replace(/[\s-]/g, '');
}

/** Card numbers are 12–19 digits (ISO/IEC 7812), spaces and dashes allowed between them. */
export function isCardShaped(value: string): boolean {
  return /^\d{12,19}$/.test(cardDigits(value));
}

/** The Luhn (mod 10) check digit is right, spaces and dashes aside. */
export function luhnValid(value: string): boolean {
  return luhnDigitsValid(cardDigits(value));
}

/** "****1111": the mask paybatch uses for account and card numbers (log.ts maskNumber). */
export function maskCard(value: string): string {
  return maskNumber(cardDigits(value));
}

/** PayStar's own callback mask (`externalParams.cardNumber`, "6x4"): 411111******1111. */
export function maskCard6x4(value: string): string {
  const d = cardDigits(value);
  if (d.length < 11) return maskNumber(d);
  return d.slice(0, 6) + '*'.repeat(d.length - 10) + d.slice(-4);
}

/** Same length, last 4 kept: the sandbox ledger stores this, so "ends with 0002" outcome rules still work. */
export function maskKeepLength(value: string): string {
  const d = cardDigits(value);
  return d.length <= 4 ? d : '*'.repeat(d.length - 4) + d.slice(-4);
}

/**
 * Masks anything card-shaped in free text (a provider message echoing the number, a raw body we quote).
 * 12–19 digits, optionally grouped by spaces or dashes.
 */
export function scrubCardNumbers(text: string): string {
  return text.replace(/\d(?:[ -]?\d){11,18}/g, (m) => maskCard(m));
}

/** Whether an additionalFields key names a card number (case-insensitive against the configured keys). */
export function isCardKey(key: string, cardFieldKeys: readonly string[]): boolean {
  const k = key.toLowerCase();
  return cardFieldKeys.some((c) => c.toLowerCase() === k);
}

/** Whether the sheet's `method` says the payout goes to a card (then account_number is a card number). */
export function methodIsCard(method: string | undefined): boolean {
  return method !== undefined && /card/i.test(method);
}
