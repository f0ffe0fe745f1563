// notify.email (DESIGN §12): the message of each event, written when the event happens (subject with the batch
// id and state; counts, totals per status and currency, the invariant; masked accounts only), and sending it
// with nodemailer over the configured smtp:// or smtps:// URL, the reports attached where the event has them.
import fs from 'node:fs';
import { DateTime } from 'luxon';
import type { Engine } from '../engine/engine.ts';
import { RESULT_STATUSES } from '../report/types.ts';
import { currencyExponent, formatMinorWithExponent } from '../validate/currencies.ts';
import type { BatchFacts, Occurrence, RowView } from './outbox.ts';

/** What the outbox keeps for a mail: everything but the attachments, which are read when it is sent. */
export interface EmailPayload {
  to: string[];
  subject: string;
  text: string;
  /** Attach results.xlsx and reconciliation.xlsx (completed, reversed). */
  attachReports: boolean;
}

/** A mail's attachment, read whole before sending (a report rewritten meanwhile cannot tear it). */
export interface MailAttachment {
  filename: string;
  content: Buffer;
}

/** What the subject adds to the batch id and state ('' when the state says it all). */
const HEADLINES: Record<Occurrence['event'], (f: BatchFacts) => string> = {
  'batch.held': () => 'approval needed',
  'batch.completed': (f) => (f.summary.counts.needs_review > 0 ? `${f.summary.counts.needs_review} payout(s) to review` : ''),
  'batch.needs_review': (f) => `${f.summary.counts.needs_review} payout(s) need review`,
  'batch.reversed': (f) => `${f.lateReversed} payout(s) reversed after payment`,
  'batch.cancelled': () => '',
  'batch.rejected': () => 'nothing paid',
};

/** Why a batch is held, in a finance person's words: a limit, the balance, or approval required. */
function holdKinds(reason: string): string {
  const kinds = [
    ...(/limits\./.test(reason) ? ['a limit'] : []),
    ...(/balance|insufficient|000040/i.test(reason) ? ['the balance'] : []),
    ...(/approv/i.test(reason) ? ['approval required'] : []),
  ];
  return kinds.length ? kinds.join(', ') : 'a check';
}

function rowLine(r: RowView): string {
  return `  row ${r.row}  ${r.reference || '(no reference)'}  ${r.amount} ${r.currency}${r.account ? `  account ${r.account}` : ''}${r.error ? `  (${r.error})` : ''}`;
}

function listed(rows: RowView[], total: number, file: string): string[] {
  return [...rows.map(rowLine), ...(total > rows.length ? [`  … and ${total - rows.length} more (see ${file})`] : [])];
}

/** The paragraph only this event has. */
function eventLines(o: Occurrence, f: BatchFacts): string[] {
  const id = f.batch.id;
  switch (o.event) {
    case 'batch.held':
      return [
        `Nothing is sent until someone approves it. Held because of ${holdKinds(f.batch.holdReason ?? '')}: ${f.batch.holdReason ?? 'no reason recorded'}.`,
        '',
        `Release it:  paybatch approve ${id} --by NAME [--note "…"]`,
        `Or stop it:  paybatch cancel ${id} --by NAME --note "why"`,
      ];
    case 'batch.needs_review':
      return [
        'These payouts have no final answer from the provider. They may have been paid: establish each outcome with the provider or the bank, then record it.',
        ...listed(f.review, f.summary.counts.needs_review, 'review.csv'),
        '',
        `Record each outcome:  paybatch resolve <reference> --as succeeded|failed --note "how it was established"`,
      ];
    case 'batch.completed':
      return [
        'Every row has its final status; results.xlsx and reconciliation.xlsx are attached.',
        ...(f.summary.counts.needs_review > 0 ? [`${f.summary.counts.needs_review} payout(s) still need review (paybatch resolve): see review.csv.`] : []),
      ];
    case 'batch.reversed':
      return [
        'The provider took these payouts back after reporting them paid; the reports attached were rewritten:',
        ...listed(f.reversed, f.lateReversed, 'results.xlsx'),
      ];
    case 'batch.cancelled':
      return [
        `Cancelled by ${f.cancel?.by ?? 'someone'}${f.cancel?.osUser && f.cancel.osUser !== f.cancel.by ? ` (OS user ${f.cancel.osUser})` : ''}${f.cancel?.note ? `: ${f.cancel.note}` : ''}.`,
        'Rows never sent are cancelled; rows already sent went on to their final status.',
      ];
    case 'batch.rejected':
      return [
        'The file was refused whole: nothing of it was paid.',
        ...f.summary.notes.map((n) => `  ${n}`),
        ...(f.summary.reports.errors_csv ? [`The problems, row by row: ${f.summary.reports.errors_csv}`] : []),
      ];
  }
}

/** Counts, totals per status and currency (statuses with rows), and the invariant, as the reconciliation has them. */
function totalsLines(f: BatchFacts): string[] {
  const c = f.summary.counts;
  const lines = [`Rows: ${f.summary.rows} — ${RESULT_STATUSES.map((s) => `${s} ${c[s]}`).join(', ')}`];
  for (const cur of f.totals.currencies) {
    const exponent = currencyExponent(cur.currency) ?? 0;
    const money = (m: bigint) => `${formatMinorWithExponent(m, exponent)} ${cur.currency}`;
    lines.push(`${cur.currency}: file ${money(cur.fileAmountMinor)} in ${cur.fileRows} row(s)`);
    for (const s of RESULT_STATUSES) if (cur.byStatus[s].rows > 0) lines.push(`  ${s}: ${money(cur.byStatus[s].amountMinor)} (${cur.byStatus[s].rows})`);
  }
  if (f.totals.unparsedInvalidRows > 0) lines.push(`unparsed invalid rows (no amount): ${f.totals.unparsedInvalidRows}`);
  return f.totals.invariantLines.length ? [...lines, '', 'Invariant:', ...f.totals.invariantLines.map((l) => `  ${l}`)] : lines;
}

export function composeEmail(engine: Engine, o: Occurrence, f: BatchFacts, to: string[]): EmailPayload {
  const { batch, summary } = f;
  const at = DateTime.now().setZone(engine.config.timezone).toFormat('yyyy-MM-dd HH:mm ZZZZ');
  const headline = HEADLINES[o.event](f);
  const status = `${batch.state}${headline ? ` — ${headline}` : ''}`;
  const text = [
    `Batch ${batch.id} (${batch.fileName}, ${batch.provider}) is ${status}, ${at}.`,
    '',
    ...eventLines(o, f),
    '',
    ...totalsLines(f),
    ...(summary.reports.results_xlsx ? ['', `Reports: ${summary.reports.results_xlsx} and ${summary.reports.reconciliation_xlsx ?? 'reconciliation.xlsx'}`] : []),
  ].join('\n');
  return {
    to,
    subject: `paybatch: batch ${batch.id} ${status}`,
    text,
    attachReports: o.event === 'batch.completed' || o.event === 'batch.reversed',
  };
}

/** Answer timeouts: a mail server that hangs must not hold the process that sends (ms). */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/**
 * Sends one mail. `smtpUrl` is the resolved smtp:// or smtps:// URL (its credentials registered as secrets);
 * the Message-ID comes from the delivery id, so a resent mail is recognisably the same one.
 */
export async function sendEmail(
  smtpUrl: string,
  from: string,
  deliveryId: string,
  mail: EmailPayload,
  attachments: MailAttachment[],
  note: string[],
): Promise<void> {
  // Loaded when a mail is sent: the commands that only compose or never mail (validate, status) skip it.
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport({ url: smtpUrl, ...SMTP_TIMEOUTS });
  try {
    await transport.sendMail({
      from,
      to: mail.to,
      subject: mail.subject,
      text: note.length ? `${mail.text}\n\n${note.join('\n')}` : mail.text,
      messageId: `<${deliveryId}@paybatch>`,
      attachments,
    });
  } finally {
    transport.close();
  }
}

/** A mail server's answer: 5xx is final (wrong address, refused), anything else (4xx, no answer) is tried again. */
export function isPermanentSmtpError(err: unknown): boolean {
  const code = (err as { responseCode?: unknown })?.responseCode;
  return typeof code === 'number' && code >= 500;
}

/** A report file read whole for attaching. */
export const readAttachment = (file: string, filename: string): MailAttachment => ({ filename, content: fs.readFileSync(file) });
