// Crash points for the never-twice tests: PAYBATCH_CRASH_AT=<point>:<n> kills this process with SIGKILL
// the n-th time execution passes <point>. Unset in normal use, where at() is a no-op.
export type CrashPoint =
  | 'after-submitting-commit'
  | 'after-request-sent'
  | 'after-answer-before-commit'
  | 'during-report-writing'
  | 'after-prepare-checkpoint';

const spec = process.env.PAYBATCH_CRASH_AT;
const [point, nth] = spec ? spec.split(':') : [];
const target = Number(nth ?? 1);
let passes = 0;

export function crashAt(here: CrashPoint): void {
  if (!spec || here !== point) return;
  passes++;
  if (passes >= target) process.kill(process.pid, 'SIGKILL');
}

export const crashPointArmed = (here: CrashPoint): boolean => Boolean(spec) && here === point;
