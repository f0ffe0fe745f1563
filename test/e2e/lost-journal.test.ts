// Issue 10, case 4: a lost, wiped or swapped journal never pays a sheet again. The work folder carries its
// journal's id (journal.id); a missing journal where sheets were archived, or a journal that does not know
// the folder's id, is refused (exit 2) until it is restored or `--new-journal` starts anew; the archive's
// bytes still refuse a sheet the new journal does not know. A live provider needs a `reference` column,
// and a row paying the same account the same amount lately is held for approval. The Vexora sandbox runs
// without a duplicate check, so a second create of a reference would be a second payment.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv, runCli, startSandboxProcess, tempDir, writeJson, type SandboxProcess } from '../helpers/cli.ts';
import { paybatchConfig, providerSheet, refFor, sandboxConfig, sandboxStats } from '../helpers/sheets.ts';

let dir: string;
let sandbox: SandboxProcess;

beforeAll(async () => {
  dir = tempDir('paybatch-journal-');
  sandbox = await startSandboxProcess('vexora', writeJson(path.join(dir, 'sandbox.json'), sandboxConfig({ vexora: { duplicateCheck: false } })));
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
});

type Doc = { batches: { id: string; file: string; state: string; rows: number; counts: Record<string, number>; reports: Record<string, string | null>; notes: string[] }[] };
const json = (stdout: string) => JSON.parse(stdout) as Doc;

function config(name: string, work: string, extra: Record<string, unknown> = {}, block: Record<string, unknown> = {}): string {
  return writeJson(path.join(dir, `${name}.json`), paybatchConfig(work, { vexora: { url: sandbox.url, block } }, extra));
}

function drop(work: string, name: string, content: string): string {
  const file = path.join(work, 'inbox', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

async function creates(refs: string[]): Promise<number[]> {
  const stats = await sandboxStats(sandbox.url);
  return refs.map((r) => stats.createRequests[r] ?? 0);
}

function deleteJournal(work: string): void {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(path.join(work, `journal.sqlite${suffix}`), { force: true });
}

describe('case 4: a lost or swapped journal', () => {
  it('with journal.sqlite deleted, every command refuses (exit 2) naming the journal and how to restore it; --new-journal starts anew and the archived sheet is still refused', async () => {
    const work = path.join(dir, 'deleted');
    const cfg = config('deleted', work);
    const refs = [refFor('vexora', 'LJ', 1), refFor('vexora', 'LJ', 2)];
    const sheet = providerSheet('vexora', refs.map((ref) => ({ ref })));
    drop(work, 'pay.csv', sheet);
    const first = await runCli(['run-once', '--config', cfg, '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(json(first.stdout).batches[0]!.counts.succeeded).toBe(2);
    // The first run on an empty work folder wrote the journal's id into both.
    const id = fs.readFileSync(path.join(work, 'journal.id'), 'utf8').trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const db = new Database(path.join(work, 'journal.sqlite'), { readonly: true });
    expect((db.prepare(`SELECT value FROM meta WHERE key = 'journal_id'`).get() as { value: string }).value).toBe(id);
    db.close();

    deleteJournal(work);
    const again = drop(work, 'pay.csv', sheet);
    const kept = path.join(dir, 'pay-kept.csv');
    fs.writeFileSync(kept, sheet);
    for (const args of [['run-once'], ['run', kept], ['watch'], ['status']]) {
      const r = await runCli([...args, '--config', cfg]);
      expect(r.code, `${args[0]}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`the journal ${path.join(work, 'journal.sqlite')} is missing`);
      expect(r.stderr).toMatch(/restore .*journal\.sqlite from its backup/);
      expect(r.stderr).toContain('--new-journal');
    }
    expect(fs.existsSync(path.join(work, 'journal.sqlite'))).toBe(false); // not recreated empty
    expect(fs.existsSync(again)).toBe(true); // untouched
    expect(await creates(refs)).toEqual([1, 1]);

    // Deliberately anew: the sheet's bytes are in archive/, so it is refused with nothing paid.
    const anew = await runCli(['run-once', '--new-journal', '--config', cfg, '--json']);
    expect(anew.code, anew.stderr).toBe(1);
    expect(json(anew.stdout).batches).toEqual([expect.objectContaining({ file: 'pay.csv', state: 'duplicate-file' })]);
    const errors = await readCsv(path.join(work, 'rejected', 'pay.errors.csv'));
    expect(errors[0]).toMatchObject({ rule: 'already-archived' });
    expect(errors[0]!.message).toMatch(/same bytes as archive\/\d{4}-\d{2}-\d{2}\/pay\.csv/);
    expect(await creates(refs)).toEqual([1, 1]);
    // `run` of the same bytes too.
    const run = await runCli(['run', kept, '--config', cfg, '--json']);
    expect(run.code).toBe(1);
    expect(json(run.stdout).batches[0]!.state).toBe('duplicate-file');
    expect(await creates(refs)).toEqual([1, 1]);
    // The new journal is now this folder's: no flag needed any more.
    const newId = fs.readFileSync(path.join(work, 'journal.id'), 'utf8').trim();
    expect(newId).not.toBe(id);
    expect((await runCli(['status', '--config', cfg])).code).toBe(0);
  }, 90_000);

  it('a journal that does not know the work folder’s id (another folder’s, or a wiped one) is refused', async () => {
    const workA = path.join(dir, 'swap-a');
    const workB = path.join(dir, 'swap-b');
    const cfgA = config('swap-a', workA);
    const cfgB = config('swap-b', workB);
    const refs = [refFor('vexora', 'SW', 1)];
    drop(workA, 'a.csv', providerSheet('vexora', [{ ref: refs[0]! }]));
    expect((await runCli(['run-once', '--config', cfgA])).code).toBe(0);
    expect((await runCli(['run-once', '--config', cfgB])).code).toBe(0);

    // B's journal in A's folder: not A's journal.
    deleteJournal(workA);
    fs.copyFileSync(path.join(workB, 'journal.sqlite'), path.join(workA, 'journal.sqlite'));
    const swapped = await runCli(['run-once', '--config', cfgA]);
    expect(swapped.code).toBe(2);
    expect(swapped.stderr).toMatch(/is not this work folder's journal: .*journal\.id says [0-9a-f-]{36}, and the journal belongs to another work folder/);
    expect(swapped.stderr).toContain('--new-journal');

    // A wiped journal (an empty database): it knows no id.
    deleteJournal(workA);
    fs.writeFileSync(path.join(workA, 'journal.sqlite'), '');
    drop(workA, 'a-again.csv', providerSheet('vexora', [{ ref: refs[0]! }]) + '\n');
    const wiped = await runCli(['run-once', '--config', cfgA]);
    expect(wiped.code).toBe(2);
    expect(wiped.stderr).toMatch(/is not this work folder's journal: .*and the journal does not know it/);
    expect(await creates(refs)).toEqual([1]);
  }, 90_000);
});

describe('case 4: references and the duplicate window for live providers', () => {
  it('a live provider’s sheet without a reference column is refused whole, naming the column and the key; "references": "derived" pays it', async () => {
    const work = path.join(dir, 'no-reference');
    const cfg = config('no-reference', work);
    const lines = providerSheet('vexora', [{ ref: 'unused-1' }, { ref: 'unused-2' }]).trimEnd().split('\n').map((l) => l.split(',').slice(1).join(','));
    const file = path.join(dir, 'no-reference.csv');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const before = (await sandboxStats(sandbox.url)).byKind.create;
    const r = await runCli(['run', file, '--config', cfg, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const b = json(r.stdout).batches[0]!;
    expect(b.state).toBe('rejected');
    const errors = await readCsv(b.reports.errors_csv!);
    expect(errors).toEqual([expect.objectContaining({ column: 'reference', rule: 'reference-required' })]);
    expect(errors[0]!.message).toMatch(/no reference column/);
    expect(errors[0]!.message).toMatch(/"references": "derived"/);
    expect((await sandboxStats(sandbox.url)).byKind.create).toBe(before);

    // Empty reference cells under "required": those rows are invalid (the file is rejected by default).
    const blanks = providerSheet('vexora', [{ ref: refFor('vexora', 'BL', 1) }, { ref: '' }]);
    const blankFile = path.join(dir, 'blank-reference.csv');
    fs.writeFileSync(blankFile, blanks);
    const blank = await runCli(['run', blankFile, '--config', cfg, '--json']);
    expect(blank.code).toBe(1);
    expect(json(blank.stdout).batches[0]).toMatchObject({ state: 'rejected', counts: expect.objectContaining({ invalid: 1 }) });
    expect((await readCsv(json(blank.stdout).batches[0]!.reports.errors_csv!)).map((e) => `${e.row}:${e.rule}`)).toEqual(['3:reference-required']);
    expect((await sandboxStats(sandbox.url)).byKind.create).toBe(before);

    // Deliberately derived: paid.
    const derivedWork = path.join(dir, 'derived');
    const derived = await runCli(['run', file, '--config', config('derived', derivedWork, { references: 'derived' }), '--json']);
    expect(derived.code, derived.stderr).toBe(0);
    expect(json(derived.stdout).batches[0]!.counts.succeeded).toBe(2);
  }, 90_000);

  it('a corrected sheet under new references that pays an account the same amount again is held, naming the earlier batch and reference; approve releases it', async () => {
    const work = path.join(dir, 'duplicate-window');
    const cfg = config('duplicate-window', work);
    const first = [refFor('vexora', 'DW', 1), refFor('vexora', 'DW', 2)];
    drop(work, 'pay.csv', providerSheet('vexora', first.map((ref) => ({ ref }))));
    const paid = await runCli(['run-once', '--config', cfg, '--json']);
    expect(paid.code, paid.stderr).toBe(0);
    const earlier = json(paid.stdout).batches[0]!;

    // The "corrected" sheet: renumbered references, same accounts and amounts for rows 1–2, one new row.
    const second = [refFor('vexora', 'DX', 1), refFor('vexora', 'DX', 2), refFor('vexora', 'DX', 3)];
    drop(work, 'pay-corrected.csv', providerSheet('vexora', second.map((ref) => ({ ref }))));
    const held = await runCli(['run-once', '--config', cfg, '--json']);
    expect(held.code, held.stderr).toBe(3);
    const b = json(held.stdout).batches[0]!;
    expect(b.state).toBe('held');
    const reason = b.notes.join('\n');
    expect(reason).toMatch(/possible duplicate payment within duplicateWindowDays 7/);
    expect(reason).toContain(`row 2 (reference ${second[0]}) pays the same account, amount and currency as reference ${first[0]} in batch ${earlier.id}`);
    expect(reason).toContain(`row 3 (reference ${second[1]})`);
    expect(reason).not.toContain(`row 4 (reference ${second[2]})`);
    expect(await creates(second)).toEqual([0, 0, 0]);

    const approve = await runCli(['approve', b.id, '--config', cfg]);
    expect(approve.code, approve.stderr).toBe(0);
    const go = await runCli(['run-once', '--config', cfg, '--json']);
    expect(go.code, go.stderr).toBe(0);
    expect(json(go.stdout).batches.find((x) => x.id === b.id)).toMatchObject({ state: 'completed' });
    expect(await creates(second)).toEqual([1, 1, 1]);

    // With the window off, nothing is held.
    const off = config('duplicate-window-off', work, { duplicateWindowDays: 0 });
    const third = [refFor('vexora', 'DY', 1)];
    drop(work, 'pay-third.csv', providerSheet('vexora', third.map((ref) => ({ ref }))));
    const r = await runCli(['run-once', '--config', off, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(await creates(third)).toEqual([1]);
  }, 90_000);
});
