// The exit code of a command over its batches, apart from the summaries' module so that `validate` does not
// load the reporting it never does.
import type { BatchSummary } from './summary.ts';

/** DESIGN §8 exit codes over several batches: 2 unreadable, else 3 anything open, else 1 anything not paid (or cancelled), else 0. */
export function exitCodeFor(summaries: BatchSummary[]): number {
  if (summaries.some((s) => s.unreadable || s.state === 'stopped')) return 2;
  if (summaries.some((s) => s.counts.pending > 0 || s.counts.needs_review > 0 || s.state === 'held')) return 3;
  if (
    summaries.some(
      (s) => s.state === 'rejected' || s.state === 'duplicate-file' || s.state === 'cancelled' || s.fileChanged || s.counts.failed + s.counts.reversed + s.counts.invalid + s.counts.duplicate + s.counts.cancelled > 0,
    )
  )
    return 1;
  return 0;
}
