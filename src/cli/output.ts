// Printing summaries: the --json document of DESIGN §8 (its keys, plus each batch's notes), or short human
// lines. File names come from outside: control characters are printed escaped, so a name with a newline
// cannot fake lines in a cron log.
import type { BatchSummary } from '../engine/batch.ts';

/** A sheet left in the inbox because its provider's configuration failed to load. */
export interface WaitingSheet {
  /** Relative to the work folder: inbox/<provider>/<name>. */
  path: string;
  provider: string;
  reason: string;
  at: string;
}

/**
 * Where printed documents find the sheets waiting for a fixed configuration: set by openEngine from the
 * journal, so every command that prints summaries (status, run-once) also says which sheets wait and why.
 */
let waitingSource: (() => WaitingSheet[]) | undefined;

export function showWaitingFrom(source: (() => WaitingSheet[]) | undefined): void {
  waitingSource = source;
}

function waiting(): WaitingSheet[] {
  try {
    return waitingSource?.() ?? [];
  } catch {
    return []; // the journal is closed: nothing to add
  }
}

// C0 and C1 controls, DEL, and the Unicode line/paragraph separators and bidirectional overrides that can
// make a printed line look like another.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Text safe to print on one line: control characters as \n, \t, \xNN or \u{NNNN}, backslashes kept as they are. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** One batch of the --json document (also the `batch` of a webhook, DESIGN §12). */
export function batchDocument(s: BatchSummary) {
  return {
    id: s.id,
    file: s.file,
    provider: s.provider,
    state: s.state,
    rows: s.rows,
    counts: s.counts,
    reports: s.reports,
    notes: s.notes,
    ...(s.id ? { reports_error: s.reportsError ?? null } : {}),
  };
}

/** What `status` says about the delivery outbox (DESIGN §12); absent when nothing is configured or queued. */
export interface DeliveryStatus {
  pending: number;
  given_up: { id: string; event: string; batch: string | null; channel: string; error: string | null; at: string | null }[];
}

/** Set by `status` only: the other commands' documents stay as they were. */
let deliveriesSource: (() => DeliveryStatus | undefined) | undefined;

export function showDeliveriesFrom(source: (() => DeliveryStatus | undefined) | undefined): void {
  deliveriesSource = source;
}

/** Top-level keys a command adds to its document (status: the live processes of a shared journal). */
export type DocumentExtras = Record<string, unknown>;

export function jsonDocument(summaries: BatchSummary[], extras: DocumentExtras = {}): string {
  const waits = waiting();
  const deliveries = deliveriesSource?.();
  return JSON.stringify(
    {
      batches: summaries.map(batchDocument),
      ...(waits.length ? { waiting: waits.map((w) => ({ file: w.path, provider: w.provider, reason: w.reason, since: w.at })) } : {}),
      ...(deliveries ? { deliveries } : {}),
      ...extras,
    },
    null,
    2,
  );
}

/** The human lines of the delivery outbox: pending ones counted, each given-up one with its error. */
export function deliveryLines(): string[] {
  const d = deliveriesSource?.();
  if (!d) return [];
  return [
    `deliveries: ${d.pending} pending, ${d.given_up.length} given up`,
    ...d.given_up.map((g) => printable(`  given up: ${g.event} (${g.channel}) of batch ${g.batch ?? '-'} at ${g.at}: ${g.error ?? ''} [${g.id}]`)),
  ];
}

export function humanLines(s: BatchSummary): string[] {
  const c = s.counts;
  const lines = [
    `batch ${s.id || '(none)'}  ${s.file}  ${s.provider}  ${s.state}`,
    `  rows ${s.rows}: succeeded ${c.succeeded}, failed ${c.failed}, reversed ${c.reversed}, invalid ${c.invalid}, duplicate ${c.duplicate}, cancelled ${c.cancelled}, pending ${c.pending}, needs_review ${c.needs_review}`,
  ];
  for (const note of s.notes) lines.push(`  ${note}`);
  if (s.reports.results_csv) lines.push(`  results: ${s.reports.results_csv} (+ .xlsx)`);
  if (s.reports.reconciliation_csv) lines.push(`  reconciliation: ${s.reports.reconciliation_csv} (+ .xlsx)`);
  if (s.reports.errors_csv) lines.push(`  errors: ${s.reports.errors_csv}`);
  return lines.map(printable);
}

export function waitingLines(): string[] {
  return waiting().map((w) => printable(`waiting: ${w.path} (${w.provider}) since ${w.at}: ${w.reason}; it is taken once the configuration is fixed`));
}

export function printSummaries(summaries: BatchSummary[], json: boolean | undefined, extras?: DocumentExtras): void {
  if (json) {
    process.stdout.write(jsonDocument(summaries, extras) + '\n');
    // stdout holds only the document; a batch paid without its reports must still be said where people look.
    for (const s of summaries)
      if (s.reportsError) process.stderr.write(printable(`paybatch: batch ${s.id}: ${s.reportsError}; the next run-once or watch writes them (or now: paybatch report ${s.id})`) + '\n');
  } else {
    for (const s of summaries) process.stdout.write(humanLines(s).join('\n') + '\n');
    const waits = [...waitingLines(), ...deliveryLines()];
    if (waits.length) process.stdout.write(waits.join('\n') + '\n');
  }
}
