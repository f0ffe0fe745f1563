// What one payout row costs the journal's writer thread (issue 12 goal 4: the run-ingest ratio is bounded by it).
// The rows of the ingest benchmark's sheet, validated as a run would journal them, written through the bulk
// writer's own prepareChunkWriter in chunks of 1,000, on this thread, into fresh journals of four kinds,
// alternated round by round so each sees the same machine load:
//   wal-4k       WAL + synchronous NORMAL (as the bulk writer), 4 KB pages: journals made before 16 KB pages
//   wal-16k      the same with 16 KB pages: what a new journal is
//   off-16k      journal_mode OFF, synchronous OFF: the disk left out, SQLite's own CPU only
//   no-index-16k wal-16k without the two secondary payout indexes: what the indexes cost
// CPU µs per row (process.cpuUsage over the insert loop: this thread only does the work); min and median of rounds.
//   node --import tsx bench/journal-writer.ts [rows=300000] [rounds=3]   (or npm run bench -- --only writer)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteJournal } from '../src/journal/sqlite/store.ts';
import { prepareChunkWriter, rowTuple } from '../src/journal/sqlite/chunk-writer.js';
import type { NewPayout } from '../src/journal/contract.ts';
import { seededRandom } from '../src/sandbox/faults.ts';
import { makeCells } from './generate.ts';

const VARIANTS = ['wal-4k', 'wal-16k', 'off-16k', 'no-index-16k'] as const;
type Variant = (typeof VARIANTS)[number];
const BATCH = '20261121-bench001';

export interface WriterReport {
  rows: number;
  rounds: number;
  /** CPU µs per row of each round, per variant, in the order run. */
  cpuMicrosPerRow: Record<Variant, number[]>;
  min: Record<Variant, number>;
  median: Record<Variant, number>;
}

function payouts(rows: number): NewPayout[] {
  const rand = seededRandom(20261121);
  return Array.from({ length: rows }, (_, i) => ({
    rowNumber: i + 2,
    merchantReference: `PB20261121bench001${String(i + 2).padStart(7, '0')}`,
    status: 'validated' as const,
    amountMinor: 150_000n,
    currency: 'ARS',
    original: makeCells(i, rand),
    fields: {},
    errorMessage: null,
  }));
}

function once(variant: Variant, tuples: ReturnType<typeof rowTuple>[]): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paybatch-bench-writer-'));
  try {
    const file = path.join(dir, 'journal.sqlite');
    if (variant === 'wal-4k') {
      // An empty file with 4 KB pages: openSqliteJournal sets 16 KB only on a file it creates.
      const d = new Database(file);
      d.pragma('page_size = 4096');
      d.exec('VACUUM');
      d.close();
    }
    const journal = openSqliteJournal(file);
    journal.createBatch({ id: BATCH, fileName: 'bench.csv', fileSha256: '0'.repeat(64), fileBytes: 1, provider: 'vexora', sourcePath: file, format: 'csv' });
    journal.close();
    const db = new Database(file);
    if (variant === 'off-16k') {
      db.pragma('journal_mode = OFF');
      db.pragma('synchronous = OFF');
    } else {
      // As bulk-worker.js opens its connection.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('wal_autocheckpoint = 16384');
    }
    if (variant === 'no-index-16k') db.exec('DROP INDEX payouts_reference; DROP INDEX payouts_batch_status');
    const write = prepareChunkWriter(db);
    const at = new Date().toISOString();
    const c0 = process.cpuUsage();
    for (let i = 0; i < tuples.length; i += 1000) write(BATCH, 'vexora', tuples.slice(i, i + 1000), [], at);
    const cpu = process.cpuUsage(c0);
    db.close();
    return (cpu.user + cpu.system) / tuples.length;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function benchWriter(options: { rows: number; rounds: number; log?: (line: string) => void }): WriterReport {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const tuples = payouts(options.rows).map(rowTuple);
  const cpu = Object.fromEntries(VARIANTS.map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
  for (let r = 0; r < options.rounds; r++) {
    for (const v of VARIANTS) {
      cpu[v].push(once(v, tuples));
      log(`  round ${r + 1} ${v.padEnd(12)} ${cpu[v].at(-1)!.toFixed(2)} µs CPU per row`);
    }
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const round2 = (x: number) => Math.round(x * 100) / 100;
  return {
    rows: options.rows,
    rounds: options.rounds,
    cpuMicrosPerRow: Object.fromEntries(VARIANTS.map((v) => [v, cpu[v].map(round2)])) as Record<Variant, number[]>,
    min: Object.fromEntries(VARIANTS.map((v) => [v, round2(sorted(cpu[v])[0]!)])) as Record<Variant, number>,
    median: Object.fromEntries(VARIANTS.map((v) => [v, round2(sorted(cpu[v])[Math.floor(cpu[v].length / 2)]!)])) as Record<Variant, number>,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [rows = '300000', rounds = '3'] = process.argv.slice(2);
  process.stdout.write(JSON.stringify(benchWriter({ rows: Number(rows), rounds: Number(rounds) }), null, 2) + '\n');
}
