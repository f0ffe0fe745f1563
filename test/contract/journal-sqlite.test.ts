// The SQLite journal passes the journal contract: one file per work folder (journal.sqlite), as the CLI opens it.
import path from 'node:path';
import { Journal } from '../../src/journal/store.ts';
import { describeJournalContract } from './journal-contract.ts';

describeJournalContract('SQLite', {
  open: (place) => new Journal(path.join(place, 'journal.sqlite')),
  capabilities: { claims: false, bulkWriter: true },
});
