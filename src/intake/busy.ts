// Apart from lock.ts (better-sqlite3) so that cli/errors.ts can recognise it without loading SQLite.
export class WorkFolderBusy extends Error {
  override name = 'WorkFolderBusy';
}
