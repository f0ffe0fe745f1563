// Test helpers: run the real CLI as a user would, in a temp work folder, against sandboxes over loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(repoRoot, 'bin/paybatch.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function tempDir(prefix = 'paybatch-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeJson(file: string, value: unknown): string {
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}

export function spawnCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): ChildProcess {
  return spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, CI: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`paybatch ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface SandboxProcess {
  url: string;
  stats(): Promise<{ createRequests: Record<string, number>; created: Record<string, number>; maxCreatedPerReference: number; rateLimited: number; [k: string]: unknown }>;
  payouts(): Promise<{ reference: string; state: string; createdAt: number }[]>;
  faults(faults: unknown[]): Promise<void>;
  stop(): Promise<void>;
}

/** A provider sandbox in its own process, so it outlives a paybatch process killed mid-run. */
export async function startSandboxProcess(provider: string, configFile: string): Promise<SandboxProcess> {
  const child = spawnCli(['sandbox', '--provider', provider, '--port', '0', '--json', '--config', configFile]);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line).sandboxes[0].url);
    });
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => reject(new Error(`sandbox exited ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`sandbox did not start: ${err}`)), 20_000);
  });
  return {
    url,
    stats: async () => (await fetch(`${url}/__sandbox/stats`)).json() as never,
    payouts: async () => (await fetch(`${url}/__sandbox/payouts`)).json() as never,
    faults: async (faults) => {
      await fetch(`${url}/__sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ faults }) });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Reads a CSV written by paybatch (BOM, CRLF, quoted) into objects. */
export async function readCsv(file: string): Promise<Record<string, string>[]> {
  const { parse } = await import('csv-parse/sync');
  return parse(fs.readFileSync(file), { bom: true, columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** A Vexora Argentina sheet of `n` valid rows; `failEvery` puts an account ending 0002 (the sandbox fails it). */
export function vexoraSheet(n: number, options: { prefix?: string; failEvery?: number } = {}): string {
  const lines = ['reference,amount,currency,account_number,mobile,email,first_name,last_name,note'];
  for (let i = 1; i <= n; i++) {
    // The sandbox settles by the account's last 4 digits: 1111 pays, 0002 fails.
    const account = `0000003100${String(i).padStart(8, '0')}${options.failEvery && i % options.failEvery === 0 ? '0002' : '1111'}`;
    lines.push(`${options.prefix ?? 'T'}-${i},${100 + i},ARS,${account},09${String(10000000 + i).slice(-8)},payee${i}@example.com,Name${i},Surname${i},row ${i}`);
  }
  return lines.join('\n') + '\n';
}

/** The sandbox's built-in Vexora credentials (src/providers/vexora/sandbox.ts). */
export const vexoraCredentials = { merchantNo: '1000000001', secret: 'vexora-sandbox-secret-not-for-production', country: 'AR' };
