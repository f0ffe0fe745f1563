// IPNs as the Yuansfer sandbox sends them (form-encoded, verifySign over the other parameters [C]), and the
// sandbox kit tests use to craft their own and to write rows whose payees the sandbox registers and pays.
import { seededDigits } from '../sandbox-kit.ts';
import type { SandboxKit, SandboxPayoutView } from '../types.ts';
import { PAYEE_STATS_PATH, SANDBOX_CREDENTIALS } from './sandbox-credentials.ts';
import type { PayeeStats } from './sandbox-payees.ts';
import { verifySign } from './sign.ts';

export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };

/** An IPN's parameters (without verifySign), in the order the sandbox writes them. */
export function ipnParams(p: SandboxPayoutView, status: string, rest: { accountToken: string; paymentTime: string }): Record<string, string> {
  return {
    accountToken: rest.accountToken,
    amount: p.amount,
    currency: p.currency,
    invoiceId: p.reference,
    paymentTime: rest.paymentTime,
    status,
    transactionNo: p.providerRef,
    vendor: 'BANK_ACCOUNT',
  };
}

export const yuansferSandboxKit: SandboxKit = {
  accountColumn: 'account_number',
  row: (seed, i, ending) => {
    const who = seededDigits(`${seed}/${i}`, 6);
    // payee_id (customerCode) starts with the seed, so payeeSetUps can find this seed's payees.
    const payeeId = `${seed}-P${i}`;
    return {
      amount: `${15 + i}.00`,
      currency: 'USD',
      ...(/^[A-Za-z0-9._-]{1,32}$/.test(payeeId) ? { payee_id: payeeId } : {}),
      first_name: 'Maria',
      last_name: `Garcia${who}`,
      email: `maria${who}@example.com`,
      date_of_birth: '1988-03-14',
      mobile: '(212) 555-0142',
      street: '350 Fifth Ave',
      city: 'New York',
      state: 'NY',
      zip: '10118',
      country: 'US',
      profile_type: 'INDIVIDUAL',
      routing_number: '021000021',
      account_number: `483${seededDigits(`${seed}/${i}/account`, 3)}${ending}`,
      account_type: 'CHECKING',
    };
  },
  // A zero amount: 000023 Parameter Value Error, and no payout under the invoiceId, so nothing was created.
  refused: (seed, i) => ({ ...yuansferSandboxKit.row(seed, i, '1111'), amount: '0.00' }),
  callback(payout, claim, variant, serial) {
    const params = ipnParams(payout, claim === 'succeeded' ? 'success' : 'failed', {
      accountToken: 'tok-unused',
      paymentTime: `2026-11-21T12:00:${String(serial % 60).padStart(2, '0')}Z`,
    });
    const sign = verifySign(params, variant === 'forged' ? 'not-the-token' : SANDBOX_CREDENTIALS.token);
    const sent = variant === 'tampered' ? { ...params, amount: '99999.00' } : params;
    return { body: new URLSearchParams({ ...sent, verifySign: sign }).toString(), headers: FORM_HEADERS };
  },
  async payeeSetUps(sandboxUrl, seed) {
    const stats = (await (await fetch(`${sandboxUrl}${PAYEE_STATS_PATH}`)).json()) as { yuansfer: PayeeStats };
    const codes = Object.keys(stats.yuansfer.customersByCode).filter((code) => code.startsWith(seed));
    const customers = new Set(codes);
    return {
      perPayee: codes.map((code) => stats.yuansfer.customersByCode[code]!),
      // Accounts of every customer registered from these rows (customerNo → count), whatever their code.
      accountsPerPayee: customers.size === 0 ? [] : Object.values(stats.yuansfer.accountsByCustomer),
    };
  },
};
