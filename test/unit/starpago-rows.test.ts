// StarPago row rules: the per-currency `extra` table, identifiers' check digits, references and config.
import { describe, it, expect } from 'vitest';
import { starpagoProvider } from '../../src/providers/starpago/index.ts';
import {
  clabeCheckDigit,
  isValidCbu,
  isValidClabe,
  isValidCnpj,
  isValidCpf,
  isValidCuit,
  isValidIban,
  isValidLuhn,
  isValidRut,
} from '../../src/providers/starpago/identifiers.ts';
import { CURRENCY_RULES, starpagoConfigSchema } from '../../src/providers/starpago/schema.ts';

const config = starpagoConfigSchema.parse({ baseUrl: 'http://127.0.0.1:1', appId: 'a', appSecret: 'b' });
const rules = starpagoProvider.rowRules(config);
const check = (row: Record<string, string>, currency: string, amountMinor = 150000n) =>
  rules.check({ amount: '1500.00', currency, method: 'SPEI', ...row }, { currency, amountMinor });
const rulesOf = (issues: { rule: string }[]) => issues.map((i) => i.rule);

describe('identifiers (public check-digit standards)', () => {
  it('CLABE: Banxico example and weights 3,7,1', () => {
    expect(isValidClabe('002010077777777771')).toBe(true);
    expect(clabeCheckDigit('00201007777777777')).toBe(1);
    expect(isValidClabe('002010077777777772')).toBe(false);
    expect(isValidClabe('00201007777777777')).toBe(false);
    expect(isValidClabe('00201007777777777A')).toBe(false);
  });
  it('CPF, CNPJ', () => {
    expect(isValidCpf('52998224725')).toBe(true);
    expect(isValidCpf('52998224724')).toBe(false);
    expect(isValidCpf('11111111111')).toBe(false);
    expect(isValidCnpj('11222333000181')).toBe(true);
    expect(isValidCnpj('11222333000182')).toBe(false);
  });
  it('RUT, CUIT, CBU', () => {
    expect(isValidRut('12345678-5')).toBe(true);
    expect(isValidRut('12.345.678-5')).toBe(true);
    expect(isValidRut('12345678-K')).toBe(false);
    expect(isValidRut('76.086.428-5')).toBe(true);
    expect(isValidCuit('20-12345678-6')).toBe(true);
    expect(isValidCuit('20-12345678-5')).toBe(false);
    expect(isValidCbu('2850590940090418135201')).toBe(true);
    expect(isValidCbu('2850590940090418135202')).toBe(false);
  });
  it('IBAN, Luhn', () => {
    expect(isValidIban('TR330006100519786457841326', 'TR')).toBe(true);
    expect(isValidIban('DE89370400440532013000', 'TR')).toBe(false);
    expect(isValidIban('DE89370400440532013000')).toBe(true);
    expect(isValidIban('DE89370400440532013001')).toBe(false);
    expect(isValidLuhn('4111111111111111')).toBe(true);
    expect(isValidLuhn('4111111111111112')).toBe(false);
  });
});

describe('StarPago row rules', () => {
  it('MXN: a valid CLABE passes', () => {
    expect(check({ 'extra.clabe': '072180037338760001' }, 'MXN')).toEqual([]);
  });

  it('MXN: a missing CLABE or a bad check digit names the column and rule', () => {
    expect(check({}, 'MXN')).toEqual([
      expect.objectContaining({ column: 'extra.clabe', value: '', rule: 'starpago.MXN.clabe.required' }),
    ]);
    const bad = check({ 'extra.clabe': '072180037338760002' }, 'MXN');
    expect(bad).toEqual([expect.objectContaining({ column: 'extra.clabe', value: '072180037338760002', rule: 'starpago.MXN.clabe.format' })]);
    expect(bad[0]!.message).toMatch(/check digit/);
    // extra keys are sent verbatim, so a differently spelled key is not the CLABE
    expect(rulesOf(check({ 'extra.CLABE': '072180037338760001' }, 'MXN'))).toEqual(['starpago.MXN.clabe.required']);
  });

  it('BRL PIX: key and key type, the key checked against its type', () => {
    const pix = (row: Record<string, string>) => check({ method: 'PIX', ...row }, 'BRL');
    expect(pix({ 'extra.pixKeyType': 'CPF', 'extra.pixKey': '52998224725' })).toEqual([]);
    expect(pix({ 'extra.pixKeyType': 'EMAIL', 'extra.pixKey': 'ana@example.com.br' })).toEqual([]);
    expect(pix({ 'extra.pixKeyType': 'PHONE', 'extra.pixKey': '+5511912345678' })).toEqual([]);
    expect(pix({ 'extra.pixKeyType': 'EVP', 'extra.pixKey': '123e4567-e89b-12d3-a456-426614174000' })).toEqual([]);
    expect(rulesOf(pix({ 'extra.pixKeyType': 'CPF', 'extra.pixKey': '52998224724' }))).toEqual(['starpago.BRL.PIX.pixKey.format']);
    expect(rulesOf(pix({ 'extra.pixKeyType': 'IBAN', 'extra.pixKey': 'x' }))).toEqual(['starpago.BRL.PIX.pixKeyType.oneOf']);
    expect(rulesOf(pix({}))).toEqual(['starpago.BRL.PIX.pixKeyType.required', 'starpago.BRL.PIX.pixKey.required']);
    // BRL by another method is not a PIX payout: passes through
    expect(check({ method: 'TED' }, 'BRL')).toEqual([]);
  });

  it('COP, CLP, PEN: document types from the pay-in table', () => {
    expect(check({ 'extra.documentType': 'CC', 'extra.documentNumber': '1020304050', 'extra.customerPhone': '3001234567' }, 'COP')).toEqual([]);
    expect(rulesOf(check({ 'extra.documentType': 'DNI', 'extra.documentNumber': '1020304050' }, 'COP'))).toEqual(['starpago.COP.documentType.oneOf']);
    expect(rulesOf(check({ 'extra.documentType': 'CC', 'extra.documentNumber': '1020304050', 'extra.customerPhone': '300123' }, 'COP'))).toEqual(['starpago.COP.customerPhone.format']);

    expect(check({ 'extra.documentType': 'RUT', 'extra.documentNumber': '12.345.678-5' }, 'CLP', 150000n)).toEqual([]);
    expect(rulesOf(check({ 'extra.documentType': 'RUT', 'extra.documentNumber': '12345678-9' }, 'CLP', 150000n))).toEqual(['starpago.CLP.documentNumber.format']);
    expect(rulesOf(check({}, 'CLP', 150000n))).toEqual(['starpago.CLP.documentType.required', 'starpago.CLP.documentNumber.required']);

    expect(check({ 'extra.documentType': 'DNI', 'extra.documentNumber': '45678912', 'extra.customerPhone': '912345678' }, 'PEN')).toEqual([]);
    expect(rulesOf(check({ 'extra.documentType': 'RUC', 'extra.documentNumber': '45678912' }, 'PEN'))).toEqual(['starpago.PEN.documentNumber.format']);
  });

  it('ARS, TRY, EUR, RUB, USDT: values checked when given', () => {
    expect(check({ 'extra.cbu': '2850590940090418135201', 'extra.documentType': 'CUIT', 'extra.documentNumber': '20-12345678-6' }, 'ARS')).toEqual([]);
    expect(rulesOf(check({ 'extra.cvu': '2850590940090418135202' }, 'ARS'))).toEqual(['starpago.ARS.cvu.format']);
    expect(check({}, 'ARS')).toEqual([]);
    expect(rulesOf(check({ 'extra.iban': 'DE89370400440532013000' }, 'TRY'))).toEqual(['starpago.TRY.iban.format']);
    expect(check({ 'extra.iban': 'TR330006100519786457841326' }, 'TRY')).toEqual([]);
    expect(rulesOf(check({ 'extra.cardNo': '4111111111111112' }, 'EUR'))).toEqual(['starpago.EUR.cardNo.format']);
    expect(check({ 'extra.cardNo': '4111111111111111' }, 'RUB')).toEqual([]);
    expect(check({ method: 'USDT-TRC20', 'extra.address': 'TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE' }, 'USDT')).toEqual([]);
    expect(rulesOf(check({ method: 'USDT-ERC20', 'extra.address': 'TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE' }, 'USDT'))).toEqual(['starpago.USDT.address.format']);
  });

  it('a currency not in the table passes through', () => {
    expect(check({ 'extra.whatever': 'x' }, 'GBP')).toEqual([]);
    expect(CURRENCY_RULES.map((r) => r.currency)).toEqual(['MXN', 'BRL', 'COP', 'CLP', 'PEN', 'ARS', 'TRY', 'USD', 'USDT', 'RUB', 'EUR']);
  });

  it('extraChecks: false sends the sheet extra unchecked', () => {
    const off = starpagoProvider.rowRules(starpagoConfigSchema.parse({ extraChecks: false }));
    expect(off.check({ method: 'SPEI' }, { currency: 'MXN', amountMinor: 100n })).toEqual([]);
  });

  it('method (payMethod) is a required column; currencies are open', () => {
    expect(rules.columns.find((c) => c.name === 'method')).toMatchObject({ required: true, aliases: ['payMethod'] });
    expect(rules.currencies).toBe('any');
    expect(rulesOf(rules.check({ method: '' }, { currency: 'GBP', amountMinor: 1n }))).toEqual(['starpago.payMethod.required']);
  });
});

describe('StarPago references and config', () => {
  it('derives a deterministic merOrderNo that its own pattern accepts', () => {
    const a = starpagoProvider.deriveReference('20261121-3fa2b1c9', 12);
    expect(a).toBe('PB202611213fa2b1c9000012');
    expect(starpagoProvider.deriveReference('20261121-3fa2b1c9', 12)).toBe(a);
    expect(starpagoProvider.deriveReference('20261121-3fa2b1c9', 13)).not.toBe(a);
    expect(starpagoProvider.referencePattern.pattern.test(a)).toBe(true);
    expect(starpagoProvider.referencePattern.pattern.test('has space')).toBe(false);
    expect(starpagoProvider.referencePattern.pattern.test('x'.repeat(33))).toBe(false);
  });

  it('has the decided defaults for every assumed key', () => {
    const c = starpagoConfigSchema.parse({});
    expect(c).toMatchObject({
      baseUrl: 'sandbox',
      queryPath: '/api/v3/payout/query',
      balancePath: '/api/v3/merchant/balance',
      tokenRefreshBeforeSeconds: 60,
      userAgent: 'apiHttp',
      callbackAckBody: 'success',
      rejectCodes: ['400'],
      duplicateCodes: ['409'],
      notFoundCodes: ['404'],
      extraChecks: true,
      accountNumberExtraKey: 'accountNumber',
    });
    expect(c.usdRate).toBeUndefined();
    expect(starpagoConfigSchema.parse({ usdRate: { MXN: '0.055' }, rejectCodes: [400] })).toMatchObject({ usdRate: { MXN: '0.055' }, rejectCodes: ['400'] });
    expect(starpagoConfigSchema.safeParse({ usdRate: { MXN: 0.055 } }).success).toBe(false);
    expect(starpagoProvider.defaults).toMatchObject({ resubmitOnNotFound: false, canReverse: true });
    expect(starpagoProvider.credentials.map((c) => [c.key, c.secret])).toEqual([['appId', false], ['appSecret', true]]);
  });
});
