// A file's identity is the SHA-256 of its bytes (DESIGN §4): the same bytes under any name are one batch.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export async function sha256File(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** What was read of a sheet: compared with the file again before anything is paid and before archiving. */
export interface ReadIdentity {
  sha256: string;
  bytes: number;
  mtimeMs: number;
}

export async function identify(file: string): Promise<ReadIdentity> {
  // mtime first: a write during hashing then shows as a change, never as the old time with new bytes.
  const { mtimeMs } = fs.statSync(file);
  const { sha256, bytes } = await sha256File(file);
  return { sha256, bytes, mtimeMs };
}

/** The file now, when its bytes differ from those read (a writer appended or rewrote it); else undefined. */
export async function changedSince(file: string, read: ReadIdentity): Promise<ReadIdentity | undefined> {
  const now = await identify(file);
  return now.sha256 === read.sha256 && now.bytes === read.bytes ? undefined : now;
}

export function describeIdentity(id: ReadIdentity): string {
  return `${id.bytes} bytes, modified ${new Date(id.mtimeMs).toISOString()}, SHA-256 ${id.sha256.slice(0, 16)}…`;
}

/**
 * An archived sheet with these bytes (archive/<day>/<name>), found without the journal: a journal started
 * anew does not know what was paid before, the archive does. Only files of the same size are hashed.
 */
export async function findInArchive(archiveDir: string, sha256: string, bytes: number): Promise<string | undefined> {
  const candidates: string[] = [];
  const visit = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth < 2) visit(p, depth + 1);
      else if (e.isFile() && fs.statSync(p, { throwIfNoEntry: false })?.size === bytes) candidates.push(p);
    }
  };
  visit(archiveDir, 0);
  for (const p of candidates.sort()) if ((await sha256File(p)).sha256 === sha256) return p;
  return undefined;
}
