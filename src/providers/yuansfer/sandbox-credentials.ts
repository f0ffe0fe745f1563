// The Yuansfer sandbox's built-in identities: the merchant and store of the docs' examples (the token is
// ours), and the payee every sandbox holds from the start.

/** Built-in sandbox credentials (the merchant and store of the docs' examples; the token is ours). */
export const SANDBOX_CREDENTIALS = {
  merchantNo: '202333',
  storeNo: '301854',
  token: 'sandbox-yuansfer-token-5cbfb079f15b1501',
} as const;

/** A payee registered in every sandbox from the start (the docs' John Doe), for rows naming customer_no. */
export const SEEDED_PAYEE = {
  customerNo: '2000305228292319592008',
  customerCode: '1665425123',
  accountToken: '2010305228303182765718',
  accountTag: '1a52692711',
  routingNumber: '101089292',
  accountNumber: '7861053298',
} as const;

/** The sandbox's own control endpoint for payee statistics (registrations per customerCode). */
export const PAYEE_STATS_PATH = '/__yuansfer/stats';
