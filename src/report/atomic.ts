// Atomic file output (DESIGN §7: "written to a temp name, then renamed").
// A reader of the final name sees either the previous complete file or the new complete file, never a
// partial one: data goes to a temp file in the same directory (same filesystem, so rename is atomic),
// is fsynced, then renamed over the final name; the directory is fsynced so the rename survives a crash.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const FILE_MODE = 0o600;

/** '.<name>.<pid>.<rand>.tmp' beside `finalPath` (a dotfile ending in .tmp: the inbox watcher ignores it). */
export function tempPathFor(finalPath: string): string {
  // Cut long names so the temp name stays within the 255-byte file-name limit.
  const name = Buffer.from(basename(finalPath)).subarray(0, 180).toString('utf8').replace(/\uFFFD+$/, '');
  return join(dirname(finalPath), `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

async function fsyncPath(path: string, flags: string): Promise<void> {
  const handle = await fsp.open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    await fsyncPath(dir, 'r');
  } catch {
    // Some platforms/filesystems refuse to fsync a directory; the rename itself is still atomic.
  }
}

/** A temp file that becomes `finalPath` on commit(), or disappears on abort(). */
export interface AtomicTarget {
  readonly finalPath: string;
  readonly tmpPath: string;
  /** chmod 0600, fsync, rename over finalPath, fsync the directory. */
  commit(): Promise<void>;
  /** Removes the temp file (never throws). */
  abort(): Promise<void>;
}

/**
 * Creates the temp file (empty, mode 0600, exclusive) for a streaming writer to fill. The writer may
 * open tmpPath with 'w' (truncating keeps the mode).
 */
export async function createAtomicTarget(finalPath: string): Promise<AtomicTarget> {
  const tmpPath = tempPathFor(finalPath);
  // Report folders are created on first use, readable by the owner only.
  await fsp.mkdir(dirname(finalPath), { recursive: true, mode: 0o700 });
  const handle = await fsp.open(tmpPath, 'wx', FILE_MODE);
  await handle.close();
  let settled = false;
  return {
    finalPath,
    tmpPath,
    async commit() {
      if (settled) throw new Error(`atomic target ${finalPath} already settled`);
      settled = true;
      try {
        await fsp.chmod(tmpPath, FILE_MODE);
        await fsyncPath(tmpPath, 'r+');
        await fsp.rename(tmpPath, finalPath);
      } catch (err) {
        await fsp.rm(tmpPath, { force: true }).catch(() => undefined);
        throw err;
      }
      await fsyncDir(dirname(finalPath));
    },
    async abort() {
      if (settled) return;
      settled = true;
      await fsp.rm(tmpPath, { force: true }).catch(() => undefined);
    },
  };
}

/**
 * For streaming writers: `write` fills the temp path; when it resolves the file is fsynced and renamed to
 * `finalPath`. When it throws, the temp file is removed and the error rethrown; nothing is ever left
 * under the final name but a complete file.
 */
export async function withAtomicPath<T>(finalPath: string, write: (tmpPath: string) => Promise<T>): Promise<T> {
  const target = await createAtomicTarget(finalPath);
  let result: T;
  try {
    result = await write(target.tmpPath);
  } catch (err) {
    await target.abort();
    throw err;
  }
  await target.commit();
  return result;
}

/** Writes `data` to `path` atomically (temp name in the same directory, fsync, rename), mode 0600. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  await withAtomicPath(path, async (tmp) => {
    await fsp.writeFile(tmp, data, { mode: FILE_MODE });
  });
}
