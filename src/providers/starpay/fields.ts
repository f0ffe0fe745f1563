// Build: the create request's fields for each way a row is paid, in the 2.4 sample's order (the signature is
// over the exact text, so the order is part of the contract).
import type { PayoutRequest } from '../types.ts';
import { requestAmount } from './amount.ts';
import type { Fields } from './exchange.ts';
import { accountNameOf, qrPayloadOf, type StarpayConfig, type StarpayMethod } from './schema.ts';

export interface CreateContext {
  mchId: string;
  /** Starpay's own spelling of a bank name, once the bank list is known (normalised name → name). */
  bankSpelling(name: string): string;
  notifyUrl?: string;
}

/** The 2.4 sample's fields in its order, then notifyUrl when a callback URL is configured. */
export function createFields(payout: PayoutRequest, method: StarpayMethod, config: StarpayConfig, ctx: CreateContext): Fields {
  const f = payout.fields;
  const head: Fields = [
    ['msgId', payout.merchantReference],
    ['mchId', ctx.mchId],
  ];
  const money: Fields = [
    ['trxAmount', requestAmount(payout.amount, payout.amountMinor, config.amountUnit)],
    ['currency', payout.currency],
  ];
  const attach = f.note?.trim() || config.attach;
  let fields: Fields;
  if (method === 'instapay') {
    fields = [
      ...head,
      ['acctNo', (f.account_number ?? '').trim()],
      ['acctName', accountNameOf(f)],
      ['acctMiddleName', (f.middle_name ?? '').trim()],
      ['acctLastName', (f.last_name ?? '').trim()],
      ['receivingBank', ctx.bankSpelling((f.bank_name ?? '').trim())],
      ...money,
      ['service', config.disburseService],
      ['attach', attach],
    ];
  } else if (method === 'starpay') {
    // 5.3 Starpay-to-Starpay: field list not published [U]; the 2.4 fields that apply to a wallet.
    const name = accountNameOf(f);
    fields = [
      ...head,
      ['acctNo', (f.account_number ?? '').trim() || (f.mobile ?? '').trim()],
      ...(name ? ([['acctName', name]] as Fields) : []),
      ...money,
      ['service', config.transferService],
      ['attach', attach],
    ];
  } else {
    // 5.8 / 5.9 Pay P2M / P2P QR: field list not published [U]; the QR payload travels as qrCode.
    fields = [
      ...head,
      ['qrCode', qrPayloadOf(f, payout.extra, config.qrColumn)],
      ...money,
      ['service', method === 'p2m-qr' ? config.p2mQrService : config.p2pQrService],
      ['attach', attach],
    ];
  }
  if (ctx.notifyUrl) fields.push(['notifyUrl', ctx.notifyUrl]);
  return fields;
}
