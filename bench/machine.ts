// The machine a benchmark ran on, written beside its figures: the machine is shared, so the load average at
// start and the source measured (other work may edit the tree while benchmarks run) belong with every result.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function machine() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemoryMB: Math.round(os.totalmem() / 1024 / 1024),
    /** 1/5/15-minute load averages when the benchmark started: the machine is shared with other work. */
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    /** What was measured (read-only git calls). */
    source: sourceState(),
  };
}

function sourceState(): { head: string; modifiedFiles: number } | null {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' }, encoding: 'utf8' });
    return { head: git('rev-parse', 'HEAD').trim(), modifiedFiles: git('status', '--porcelain', '--untracked-files=no').split('\n').filter(Boolean).length };
  } catch {
    return null;
  }
}
