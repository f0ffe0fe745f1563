// Issue 6, promise 8: hostile input is contained. Oversized files, XLSX zip bombs (honest and lying
// headers), too many shared strings, non-ZIP workbooks, empty and binary files are refused with exit 2 by
// `run`, each with an errors file beside the kept original in rejected/, nothing paid; odd file names in the
// inbox (spaces, Unicode, leading dots, `..`, backslashes, control characters) never escape the work folder.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv, runCli, spawnCli, tempDir, vexoraSheet, waitFor, writeJson } from '../helpers/cli.ts';
import { lieAboutSizes, lieAboutStringCount, paybatchConfig, providerSheet, refFor, vexoraXlsx } from '../helpers/sheets.ts';
import { seededRandom } from '../../src/sandbox/faults.ts';

const LIMITS = { maxFileBytes: 20_000, maxXlsxUnpackedBytes: 100_000, maxSharedStrings: 50 };
let dir: string;
let inputs: string;
/** Hostile files by name, with the reason each must be refused for. */
const hostile = new Map<string, { bytes: Buffer; reason: RegExp }>();
const tried: string[] = [];

function config(work: string): string {
  return writeJson(path.join(dir, `${path.basename(work)}.json`), paybatchConfig(work, { vexora: { url: 'sandbox' } }, { sheet: LIMITS }));
}

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/** Every file and folder under `root`, relative to it. */
function walk(root: string): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(path.relative(root, p));
      if (e.isDirectory()) visit(p);
    }
  };
  visit(root);
  return out.sort();
}

/** Runs `tasks` two at a time (the machine has two busy cores). */
async function pool<T>(tasks: (() => Promise<T>)[], width = 2): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

beforeAll(async () => {
  dir = tempDir('paybatch-hostile-');
  inputs = path.join(dir, 'inputs');
  fs.mkdirSync(inputs);
  const padded = await vexoraXlsx({ padding: 300_000 });
  const strings = await vexoraXlsx({ distinctTexts: 100 });
  const random = seededRandom(7);
  const add = (name: string, bytes: Buffer, reason: RegExp) => hostile.set(name, { bytes, reason });
  add('oversized.csv', Buffer.from(vexoraSheet(300, { prefix: 'BIG' })), /is too big: \d+ bytes, the limit is 20000/);
  add('bomb.xlsx', padded, /unpacks to \d+ bytes, the limit is 100000/);
  add('lying-bomb.xlsx', lieAboutSizes(padded, 9_000), /inflates to more than its declared 9000 bytes/);
  add('strings.xlsx', strings, /too many distinct texts: \d+ shared strings, the limit is 50/);
  add('lying-strings.xlsx', lieAboutStringCount(strings), /too many distinct texts: more than 50 shared strings/);
  add('not-a-zip.xlsx', Buffer.from('reference,amount\nR-1,150\n'), /not a readable XLSX file \(not a ZIP archive\)/);
  add('empty.csv', Buffer.alloc(0), /is empty/);
  add('random.csv', Buffer.from(Array.from({ length: 3000 }, () => Math.floor(random() * 256))), /CSV syntax error|cannot be read|not/i);
  add('workbook.csv', await vexoraXlsx({ ref: 'ZIPCSV-1' }), /is a ZIP archive \(an Excel workbook\?\), not a CSV file/);
  add('scan.csv', Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(200, 0x20)]), /is a PDF document/);
  for (const [name, { bytes }] of hostile) fs.writeFileSync(path.join(inputs, name), bytes);
}, 60_000);

afterAll(() => {
  console.log(`hostile inputs tried (${tried.length}): ${tried.join(', ')}`);
});

describe('promise 8: hostile files refused by `run`', () => {
  it('each unreadable file exits 2, leaves an errors file and the kept original in rejected/, and pays nothing', async () => {
    const names = [...hostile.keys()];
    const results = await pool(
      names.map((name) => async () => {
        const work = path.join(dir, `run-${name.replace(/\W/g, '_')}`);
        const r = await runCli(['run', path.join(inputs, name), '--config', config(work), '--json']);
        return { name, work, r };
      }),
    );
    for (const { name, work, r } of results) {
      tried.push(`run ${name}`);
      const { bytes, reason } = hostile.get(name)!;
      expect(r.code, `${name}: ${r.stderr}`).toBe(2);
      expect(r.stderr).not.toMatch(/unexpected error/);
      const b = JSON.parse(r.stdout).batches[0];
      expect(b).toMatchObject({ file: name, state: 'rejected' });
      const stem = name.replace(/\.[^.]+$/, '');
      // The errors file lies beside the kept original (and, when a batch was opened, also in its reports).
      const errorsCsv = path.join(work, 'rejected', `${stem}.errors.csv`);
      expect([errorsCsv, expect.stringMatching(/\/reports\/[^/]+\/errors\.csv$/)]).toContainEqual(b.reports.errors_csv);
      expect(fs.readFileSync(b.reports.errors_csv, 'utf8')).toBe(fs.readFileSync(errorsCsv, 'utf8'));
      const errors = await readCsv(errorsCsv);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((e) => e.file === name)).toBe(true);
      const unreadable = errors.filter((e) => e.rule === 'unreadable');
      expect(unreadable.length, `${name}: ${JSON.stringify(errors)}`).toBeGreaterThan(0);
      expect(unreadable.map((e) => e.message).join(' | ')).toMatch(reason);
      // The original is kept: a copy in rejected/, and the operator's file where it was.
      expect(sha(fs.readFileSync(path.join(work, 'rejected', name)))).toBe(sha(bytes));
      expect(sha(fs.readFileSync(path.join(inputs, name)))).toBe(sha(bytes));
      // Nothing was sent: the provider (embedded sandbox) was never even started.
      expect(fs.existsSync(path.join(work, 'sandbox', 'vexora.jsonl'))).toBe(false);
      expect(fs.readdirSync(path.join(work, 'processing'))).toEqual([]);
      // Errors files are for the owner only.
      expect(fs.statSync(errorsCsv).mode & 0o077).toBe(0);
    }
  }, 120_000);

  // Binary files named .csv are refused as unreadable, not read as a CSV with a garbage header.
  for (const [label, make] of [
    ['a PNG image', () => Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')],
    ['a gzip-compressed CSV', () => zlib.gzipSync('reference,amount,currency\nR-1,150,ARS\n')],
    ['NUL bytes', () => Buffer.alloc(2048)],
  ] as const) {
    it(`${label} named .csv is refused as unreadable (exit 2)`, async () => {
      const work = path.join(dir, `binary-${label.replace(/\W/g, '_')}`);
      const file = path.join(inputs, `binary-${label.replace(/\W/g, '_')}.csv`);
      fs.writeFileSync(file, make());
      tried.push(`run ${label} as .csv`);
      const r = await runCli(['run', file, '--config', config(work), '--json']);
      const b = JSON.parse(r.stdout).batches[0];
      expect(b.state).toBe('rejected');
      expect(fs.existsSync(path.join(work, 'rejected', path.basename(file)))).toBe(true);
      expect(r.code).toBe(2);
      const errors = await readCsv(b.reports.errors_csv);
      expect(errors.some((e) => e.rule === 'unreadable')).toBe(true);
    }, 60_000);
  }
});

describe('promise 8: the inbox with hostile files and odd names', () => {
  it('run-once rejects every hostile file into rejected/ with its errors file, pays odd-named sheets, ignores dotfiles, and writes nothing outside the work folder', async () => {
    const outer = path.join(dir, 'outer');
    const work = path.join(outer, 'work');
    const cfg = config(work);
    fs.mkdirSync(path.join(work, 'inbox'), { recursive: true });
    const inbox = path.join(work, 'inbox');

    // (An empty file is never taken from the inbox: see the test after this one.)
    const dropped = new Map([...hostile].filter(([name]) => name !== 'empty.csv'));
    for (const [name, { bytes }] of dropped) fs.writeFileSync(path.join(inbox, `in-${name}`), bytes);
    // Odd but legitimate names: paid, archived under a safe name inside the work folder.
    const odd: { name: string; stored: string; ref: string }[] = [
      { name: 'pay outs 2026 (final).csv', stored: 'pay outs 2026 (final).csv' },
      { name: 'pagos año 支付 ☃.csv', stored: 'pagos año 支付 ☃.csv' },
      { name: 'a..b.csv', stored: 'a..b.csv' },
      { name: 'sub\\..\\..\\escape.csv', stored: 'escape.csv' },
      { name: 'line\nbreak\t.csv', stored: 'line_break_.csv' },
    ].map((o, i) => ({ ...o, ref: refFor('vexora', 'ODD', i) }));
    for (const o of odd) fs.writeFileSync(path.join(inbox, o.name), providerSheet('vexora', [{ ref: o.ref }]));
    // Never taken: dotfiles (also `..name`), Office lock files and partial uploads.
    const ignored = ['.hidden.csv', '..sneaky.csv', '~$payouts.csv', 'upload.csv.part'].map((name, i) => ({ name, ref: refFor('vexora', 'IGN', i) }));
    for (const o of ignored) fs.writeFileSync(path.join(inbox, o.name), providerSheet('vexora', [{ ref: o.ref }]));
    for (const n of [...dropped.keys()].map((k) => `in-${k}`).concat(odd.map((o) => JSON.stringify(o.name)), ignored.map((o) => o.name))) tried.push(`inbox ${n}`);

    const outside = (root: string) => walk(root).filter((p) => !p.startsWith('work'));
    const outsideBefore = outside(outer);
    const dirBefore = fs.readdirSync(dir).sort();
    const r = await runCli(['run-once', '--config', cfg, '--json'], { timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(2); // some files were unreadable
    expect(r.stderr).not.toMatch(/unexpected error/);
    const batches = JSON.parse(r.stdout).batches as { file: string; state: string; counts: Record<string, number> }[];

    // Hostile files: moved (not copied) to rejected/, byte for byte, each with its errors file.
    for (const [name, { bytes, reason }] of dropped) {
      const kept = path.join(work, 'rejected', `in-${name}`);
      expect(sha(fs.readFileSync(kept)), name).toBe(sha(bytes));
      const errors = await readCsv(path.join(work, 'rejected', `in-${name.replace(/\.[^.]+$/, '')}.errors.csv`));
      expect(errors.filter((e) => e.rule === 'unreadable').map((e) => e.message).join(' | ')).toMatch(reason);
      expect(batches.find((b) => b.file === `in-${name}`)?.state).toBe('rejected');
    }
    // Odd names: paid once, archived under a safe name inside the work folder.
    const day = fs.readdirSync(path.join(work, 'archive'));
    expect(day).toHaveLength(1);
    const archived = fs.readdirSync(path.join(work, 'archive', day[0]!)).sort();
    expect(archived).toEqual(odd.map((o) => o.stored).sort());
    for (const o of odd) {
      const b = batches.find((x) => x.file === o.name);
      expect(b, o.name).toMatchObject({ state: 'completed' });
      expect(b!.counts.succeeded).toBe(1);
    }
    const ledger = fs.readFileSync(path.join(work, 'sandbox', 'vexora.jsonl'), 'utf8');
    for (const o of odd) expect(ledger).toContain(o.ref);
    // Ignored files stay in the inbox, untouched and unpaid.
    expect(fs.readdirSync(inbox).sort()).toEqual(ignored.map((o) => o.name).sort());
    for (const o of ignored) expect(ledger).not.toContain(o.ref);
    expect(fs.readdirSync(path.join(work, 'processing'))).toEqual([]);

    // Nothing was written outside the work folder, whatever the names said.
    expect(outside(outer)).toEqual(outsideBefore);
    expect(fs.readdirSync(dir).sort()).toEqual(dirBefore);
    expect(fs.existsSync(path.join(os.tmpdir(), 'escape.csv'))).toBe(false);
    for (const p of walk(work)) {
      expect(p.split(path.sep)).not.toContain('..');
      expect(path.resolve(work, p).startsWith(work + path.sep)).toBe(true);
    }
  }, 120_000);

  // An empty file that stays empty is taken and rejected, not left in the inbox for ever.
  it('an empty file dropped into the inbox is rejected with an errors file (run-once)', async () => {
    const work = path.join(dir, 'empty-inbox');
    const cfg = config(work);
    fs.mkdirSync(path.join(work, 'inbox'), { recursive: true });
    fs.writeFileSync(path.join(work, 'inbox', 'payouts.csv'), '');
    tried.push('inbox payouts.csv (0 bytes)');
    const first = await runCli(['run-once', '--config', cfg, '--json']);
    const second = await runCli(['run-once', '--config', cfg, '--json']);
    expect(first.code === 2 || second.code === 2).toBe(true);
    expect(fs.existsSync(path.join(work, 'rejected', 'payouts.csv'))).toBe(true);
    expect(fs.existsSync(path.join(work, 'rejected', 'payouts.errors.csv'))).toBe(true);
    expect(fs.readdirSync(path.join(work, 'inbox'))).toEqual([]);
  }, 60_000);

  // Long but legal names stay within NAME_MAX in every file paybatch derives from them (temp, errors files).
  it('an unreadable file with a long (241-byte) name is rejected with an errors file and does not stop the inbox', async () => {
    const work = path.join(dir, 'long-name');
    const cfg = config(work);
    fs.mkdirSync(path.join(work, 'inbox'), { recursive: true });
    const long = `${'a'.repeat(236)}.xlsx`;
    fs.writeFileSync(path.join(work, 'inbox', long), 'not a zip\n');
    fs.writeFileSync(path.join(work, 'inbox', 'zz-fine.csv'), providerSheet('vexora', [{ ref: refFor('vexora', 'LN', 0) }]));
    tried.push('inbox <236 × a>.xlsx (long name, not a ZIP)');
    const r = await runCli(['run-once', '--config', cfg, '--json']);
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.code).toBe(2);
    expect(fs.existsSync(path.join(work, 'rejected', long))).toBe(true);
    expect(fs.readdirSync(path.join(work, 'rejected')).some((f) => f.endsWith('.errors.csv'))).toBe(true);
    const batches = JSON.parse(r.stdout).batches as { file: string; state: string }[];
    expect(batches.find((b) => b.file === 'zz-fine.csv')?.state).toBe('completed');
  }, 60_000);

  // A sub-folder of the inbox that names no provider (a typo, "Vexora", "old") rejects its sheet with a note.
  it('a file in an inbox folder named after no provider is rejected with an errors file and does not stop the rest of the inbox (run-once)', async () => {
    const work = path.join(dir, 'unknown-provider-run-once');
    const cfg = config(work);
    const ref = refFor('vexora', 'NP', 1);
    fs.mkdirSync(path.join(work, 'inbox', 'Vexora'), { recursive: true });
    fs.writeFileSync(path.join(work, 'inbox', 'Vexora', 'typo.csv'), providerSheet('vexora', [{ ref: refFor('vexora', 'NP', 0) }]));
    fs.writeFileSync(path.join(work, 'inbox', 'zz-fine.csv'), providerSheet('vexora', [{ ref }]));
    tried.push('inbox Vexora/typo.csv (unknown provider folder)');
    const r = await runCli(['run-once', '--config', cfg, '--json']);
    expect(fs.readdirSync(path.join(work, 'processing'))).toEqual([]);
    expect(fs.existsSync(path.join(work, 'rejected', 'typo.csv'))).toBe(true);
    expect(fs.existsSync(path.join(work, 'rejected', 'typo.errors.csv'))).toBe(true);
    const batches = JSON.parse(r.stdout).batches as { file: string; state: string }[];
    expect(batches.find((b) => b.file === 'zz-fine.csv')?.state).toBe('completed');
  }, 60_000);

  // …and never stops the watch daemon.
  it('a file in an inbox folder named after no provider does not stop `watch`', async () => {
    const work = path.join(dir, 'unknown-provider-watch');
    const cfg = config(work);
    const watch = spawnCli(['watch', '--config', cfg]);
    let out = '';
    watch.stdout!.on('data', (d) => (out += d));
    watch.stderr!.on('data', (d) => (out += d));
    try {
      await waitFor('watch to start', () => out.includes('watching') || undefined, 60_000);
      fs.mkdirSync(path.join(work, 'inbox', 'old'), { recursive: true });
      fs.writeFileSync(path.join(work, 'inbox', 'old', 'typo.csv'), providerSheet('vexora', [{ ref: refFor('vexora', 'NW', 0) }]));
      tried.push('watch inbox old/typo.csv (unknown provider folder)');
      await waitFor('the file to be rejected', () => fs.existsSync(path.join(work, 'rejected', 'typo.errors.csv')) || (watch.exitCode !== null ? true : undefined), 60_000);
      expect(watch.exitCode).toBeNull();
      expect(fs.existsSync(path.join(work, 'rejected', 'typo.errors.csv'))).toBe(true);
    } finally {
      if (watch.exitCode === null) {
        watch.kill('SIGTERM');
        await new Promise((r) => watch.once('exit', r));
      }
    }
  }, 60_000);
});
