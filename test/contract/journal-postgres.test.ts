// The PostgreSQL journal passes the journal contract against a real server (test/helpers/postgres.ts): each
// place is a database of its own, so opening the same place again is a second process on the same journal.
import crypto from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { PostgresJournal } from '../../src/journal/postgres/store.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { describeJournalContract } from './journal-contract.ts';

let server: TestPostgres;
const databases = new Map<string, Promise<string>>();

beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

/** The database of `place`, created on its first open. */
function databaseOf(place: string): Promise<string> {
  let url = databases.get(place);
  if (!url) {
    const name = `contract_${crypto.createHash('sha256').update(place).digest('hex').slice(0, 16)}`;
    url = server.createDatabase(name).then(() => server.url(name));
    databases.set(place, url);
  }
  return url;
}

describeJournalContract('PostgreSQL', {
  open: async (place) => new PostgresJournal(await databaseOf(place), { leaseSeconds: 30, command: 'contract test' }),
  capabilities: { claims: true, bulkWriter: false },
});
