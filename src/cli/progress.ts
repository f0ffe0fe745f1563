// A progress bar on stderr for long runs, only when stderr is a terminal (never in pipes, logs or --json).
import cliProgress from 'cli-progress';

export class Progress {
  private bar: cliProgress.SingleBar | undefined;
  private phase = '';
  private readonly enabled: boolean;

  constructor(wanted: boolean) {
    this.enabled = wanted && Boolean(process.stderr.isTTY) && !process.env.CI;
  }

  update(e: { batchId: string; phase: 'submit' | 'poll'; done: number; total: number }): void {
    if (!this.enabled || e.total < 50) return;
    if (!this.bar || this.phase !== `${e.batchId}:${e.phase}`) {
      this.bar?.stop();
      this.phase = `${e.batchId}:${e.phase}`;
      this.bar = new cliProgress.SingleBar(
        { format: `${e.phase === 'submit' ? 'submitting' : 'checking  '} ${e.batchId} [{bar}] {value}/{total} {eta_formatted}`, stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(e.total, 0);
    }
    this.bar.update(e.done);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
