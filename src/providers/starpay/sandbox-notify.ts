// 5.5 notifications as the Starpay sandbox writes them, and the sandbox kit tests use to craft their own
// (valid, forged with the merchant's key, tampered after signing) and to write rows the sandbox pays.
import { writeJson } from '../raw-json.ts';
import { seededDigits } from '../sandbox-kit.ts';
import type { SandboxKit, SandboxPayoutView } from '../types.ts';
import { SANDBOX_BANKS, SANDBOX_MCH_ID, TEST_MERCHANT_PRIVATE_KEY, TEST_PLATFORM_PRIVATE_KEY } from './sandbox-keys.ts';
import { envelope, loadPrivateKey, sign, type RawJsonNumber } from './sign.ts';

/** A 5.5 notification's request text, in the order the sandbox writes it. */
export function notificationText(
  p: SandboxPayoutView,
  trxState: string,
  rest: { trxDate: string; trxAmount: string | RawJsonNumber; msgId: string; mchId: string; errorCode?: string; errorMsg?: string },
): string {
  return writeJson({
    code: '200',
    message: 'success',
    trxDate: rest.trxDate,
    trxAmount: rest.trxAmount,
    trxState,
    originalMsgId: p.reference,
    msgId: rest.msgId,
    mchId: rest.mchId,
    refNo: p.providerRef,
    currency: p.currency,
    errorCode: rest.errorCode,
    errorMsg: rest.errorMsg,
  });
}

/** How tests drive this sandbox (built-in keys): InstaPay rows it pays or not, notifications it sends. */
export const starpaySandboxKit: SandboxKit = {
  accountColumn: 'account_number',
  row: (seed, i, ending) => ({
    method: 'instapay',
    amount: `${150 + i}.00`,
    currency: 'PHP',
    account_number: `10945${seededDigits(`${seed}/${i}`, 4)}${ending}`,
    first_name: 'Maria',
    middle_name: 'Santos',
    last_name: 'Reyes',
    bank_name: SANDBOX_BANKS.find((b) => !b.bankName.includes(','))!.bankName,
  }),
  // An account number with letters: 412 Illegal parameter, nothing created.
  refused: (seed, i) => ({ ...starpaySandboxKit.row(seed, i, '1111'), account_number: 'ACCT-1111' }),
  callback(payout, claim, variant, serial) {
    const platform = loadPrivateKey(TEST_PLATFORM_PRIVATE_KEY);
    const state = (c: string) => (c === 'succeeded' ? 'SUCCESS' : 'FAIL');
    const text = (c: string) =>
      notificationText(payout, state(c), { trxDate: '2026-11-21T20:00:00+08:00', trxAmount: payout.amount, msgId: `8${Date.now()}${String(serial).padStart(6, '0')}`, mchId: SANDBOX_MCH_ID });
    const headers = { 'content-type': 'application/json' };
    if (variant === 'valid') {
      const t = text(claim);
      return { body: envelope('request', t, sign(t, platform)), headers };
    }
    if (variant === 'forged') {
      // Signed with the merchant's key, not the platform's.
      const t = text(claim);
      return { body: envelope('request', t, sign(t, loadPrivateKey(TEST_MERCHANT_PRIVATE_KEY))), headers };
    }
    // Signed claiming the opposite, then the state changed.
    const signedText = text(claim === 'succeeded' ? 'failed' : 'succeeded');
    const sentText = signedText.replace(`"trxState":"${state(claim === 'succeeded' ? 'failed' : 'succeeded')}"`, `"trxState":"${state(claim)}"`);
    return { body: envelope('request', sentText, sign(signedText, platform)), headers };
  },
};

