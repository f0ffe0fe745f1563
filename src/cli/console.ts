// paybatch console: the web console alone (DESIGN §13), against the work folder's journal, without taking the
// work-folder lock (a `watch` may own the folder meanwhile). paybatch hash-password: a console passwordHash.
import { ConfigError } from '../config/secrets.ts';
import { hashPassword } from '../console/auth.ts';
import { openEngine, type GlobalOptions } from './context.ts';

export async function consoleCommand(options: GlobalOptions): Promise<number> {
  const opened = await openEngine(options, 'console', { lock: false });
  try {
    if (opened.config.console.port === null) throw new ConfigError('console.port is not set: paybatch console needs a port to listen on');
    // fastify and prom-client load here, with the console: hash-password never pays for them.
    const { startConsole } = await import('../console/server.ts');
    const server = await startConsole(opened.engine, { ingestUploads: true });
    process.stdout.write(`console on ${server.url} (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
  } finally {
    await opened.close();
  }
  return 0;
}

/** One line of stdin, without its line ending: the password is never an argument (shell history, ps). */
async function readLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split('\n')[0]!.replace(/\r$/, '');
}

export async function hashPasswordCommand(): Promise<number> {
  const password = await readLine();
  if (password === '') {
    process.stderr.write('paybatch: hash-password reads the password as one line from stdin; it was empty\n');
    return 2;
  }
  process.stdout.write(hashPassword(password) + '\n');
  return 0;
}
