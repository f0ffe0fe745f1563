// USD equivalents for the reconciliation (batch.usdRates): decimal text, never a float.
import { Decimal } from 'decimal.js';
import { formatMinorWithExponent } from '../../validate/currencies.ts';

/** USD equivalents from batch.usdRates (decimal text); USD itself counts at 1 when rates are given. */
export class UsdConverter {
  private readonly rates = new Map<string, Decimal>();

  constructor(usdRates: Record<string, string> | undefined) {
    if (!usdRates) return;
    for (const [code, text] of Object.entries(usdRates)) {
      if (typeof text !== 'string' || !/^\d+(?:\.\d+)?$/.test(text.trim())) {
        throw new Error(`usdRates.${code}: ${JSON.stringify(text)} is not a decimal rate`);
      }
      this.rates.set(code, new Decimal(text.trim()));
    }
    if (!this.rates.has('USD')) this.rates.set('USD', new Decimal(1));
  }

  /** Decimal text with 2 decimals (ROUND_HALF_EVEN), or '' when there is no rate for the currency. */
  text(minor: bigint | null, currency: string, exponent: number): string {
    if (minor === null) return '';
    const rate = this.rates.get(currency);
    if (!rate) return '';
    const usd = new Decimal(formatMinorWithExponent(minor, exponent)).times(rate).toFixed(2, Decimal.ROUND_HALF_EVEN);
    return usd === '-0.00' ? '0.00' : usd;
  }
}
