// The paybatch command line (DESIGN §8). Each command lives in its own file; this one only wires them.
import { Command, CommanderError } from 'commander';
import { logWriteFailure, redact } from '../redact.ts';
import { failureLine } from './errors.ts';

// Each command's implementation is imported when that command runs: `--help` and `validate` never load the
// journal, the console (fastify), mail, PostgreSQL or XLSX writing that other commands need.

let exitCode = 0;
const done = (code: number) => {
  exitCode = code;
};

// `paybatch status | head`: the reader went away. What is left to print has no reader; the command still
// finishes what it was doing (a run never stops half-way because its output is not read) and exits with
// its own code, quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && stream === process.stdout) {
      process.stderr.write(`paybatch: cannot write the output: ${err.message}\n`);
      exitCode = 2;
      process.exitCode = 2;
    }
    stream.write = (() => true) as typeof stream.write;
  });
}

const program = new Command();
program
  .name('paybatch')
  .description('Batch payout file processor: sheets in, payouts exactly once, results and reconciliation out')
  .option('--config <file>', 'configuration file (default config/default.json)')
  .option('--work <dir>', 'work folder (overrides the config)')
  .option('--json', 'print one JSON document on stdout and nothing else there')
  .option('--new-journal', 'start a new journal for this work folder deliberately (the old one is lost or belongs elsewhere)')
  .exitOverride()
  .showHelpAfterError();

program
  .command('run')
  .description('pay one sheet (or several) to its end; the same bytes are never a new batch')
  .argument('<file...>', 'CSV or XLSX payout sheets')
  .option('--provider <id>', 'provider (overrides the config)')
  .option('--dry-run', 'validate and show what would be sent; send and journal nothing')
  .option('--no-wait', 'submit, then exit without waiting for final statuses')
  .option('--by <name>', 'who releases the sheet (default: the OS user); with four eyes, someone else approves it')
  .action(async (files: string[], _o, cmd: Command) => {
    const { runCommand } = await import('./run.ts');
    done(await runCommand(files, cmd.optsWithGlobals()));
  });

program
  .command('run-once')
  .description('resume unfinished batches, take everything in the inbox, then exit (for cron)')
  .action(async (_o, cmd: Command) => {
    const { runOnceCommand } = await import('./run-once.ts');
    done(await runOnceCommand(cmd.optsWithGlobals()));
  });

program
  .command('watch')
  .description('daemon: watch the inbox, poll, serve callbacks')
  .action(async (_o, cmd: Command) => {
    const { watchCommand } = await import('./watch.ts');
    done(await watchCommand(cmd.optsWithGlobals()));
  });

program
  .command('validate')
  .description('validation report only; nothing is sent')
  .argument('<file>', 'CSV or XLSX payout sheet')
  .option('--provider <id>', 'provider (overrides the config)')
  .action(async (file: string, _o, cmd: Command) => {
    const [{ validateFile }, { printSummaries }, { exitCodeFor }] = await Promise.all([
      import('../engine/validate-file.ts'),
      import('./output.ts'),
      import('../engine/exit-codes.ts'),
    ]);
    const options = cmd.optsWithGlobals();
    const summary = await validateFile(options, file);
    printSummaries([summary], options.json);
    done(exitCodeFor([summary]));
  });

program
  .command('status')
  .description('batches and counts per status')
  .argument('[batch]', 'one batch id')
  .action(async (batch: string | undefined, _o, cmd: Command) => {
    const { statusCommand } = await import('./manage.ts');
    done(await statusCommand(batch, cmd.optsWithGlobals()));
  });

program
  .command('report')
  .description('rewrite results and reconciliation from the journal')
  .argument('<batch>', 'batch id')
  .action(async (batch: string, _o, cmd: Command) => {
    const { reportCommand } = await import('./manage.ts');
    done(await reportCommand(batch, cmd.optsWithGlobals()));
  });

program
  .command('approve')
  .description('release a held batch (journaled with who and why)')
  .argument('<batch>', 'batch id')
  .option('--by <name>', 'who approves (default: the OS user)')
  .option('--note <text>', 'why')
  .action(async (batch: string, _o, cmd: Command) => {
    const { approveCommand } = await import('./manage.ts');
    done(await approveCommand(batch, cmd.optsWithGlobals()));
  });

program
  .command('cancel')
  .description('stop a batch: rows never sent become cancelled, rows sent go on to their final status')
  .argument('<batch>', 'batch id')
  .option('--by <name>', 'who cancels (default: the OS user)')
  .requiredOption('--note <text>', 'why the batch is cancelled')
  .action(async (batch: string, _o, cmd: Command) => {
    const { cancelCommand } = await import('./manage.ts');
    done(await cancelCommand(batch, cmd.optsWithGlobals()));
  });

program
  .command('resolve')
  .description('settle a needs_review payout by hand (audited)')
  .argument('<payout>', 'payout id (batch-row) or merchant reference')
  .requiredOption('--as <status>', 'succeeded or failed')
  .requiredOption('--note <text>', 'how the outcome was established')
  .option('--by <name>', 'who resolves (default: the OS user)')
  .action(async (payout: string, _o, cmd: Command) => {
    const { resolveCommand } = await import('./manage.ts');
    done(await resolveCommand(payout, cmd.optsWithGlobals()));
  });

program
  .command('console')
  .description('the web console alone, against the work folder\'s journal (needs console.port)')
  .action(async (_o, cmd: Command) => {
    const { consoleCommand } = await import('./console.ts');
    done(await consoleCommand(cmd.optsWithGlobals()));
  });

program
  .command('hash-password')
  .description('a console passwordHash for the password read as one line from stdin')
  .action(async () => {
    const { hashPasswordCommand } = await import('./console.ts');
    done(await hashPasswordCommand());
  });

program
  .command('sandbox')
  .description('run the simulated provider(s) on loopback')
  .option('--provider <id>', 'one provider (default: all, on consecutive ports)')
  .option('--port <n>', 'port (default: any free port)')
  .option('--host <addr>', 'address to listen on', '127.0.0.1')
  .option('--state <file>', 'keep the sandbox ledger in <file>.<provider>.jsonl between runs')
  .action(async (_o, cmd: Command) => {
    const { sandboxCommand } = await import('./sandbox.ts');
    done(await sandboxCommand(cmd.optsWithGlobals()));
  });

program
  .command('template')
  .description("a blank sheet with the provider's columns and an instructions sheet")
  .requiredOption('--provider <id>', 'provider')
  .option('--format <format>', 'xlsx or csv', 'xlsx')
  .option('--out <file>', 'where to write it (default <provider>-template.<format>)')
  .action(async (_o, cmd: Command) => {
    const { templateCommand } = await import('./template.ts');
    done(await templateCommand(cmd.optsWithGlobals()));
  });

program
  .command('start-demo', { hidden: true })
  .description('npm start: the samples against the embedded sandboxes')
  .action(async (_o, cmd: Command) => {
    const { demoCommand } = await import('./demo.ts');
    done(await demoCommand(cmd.optsWithGlobals()));
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end "successfully"; anything else is a usage error.
    exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2;
  } else if (failureLine(err) !== undefined) {
    // One line a person can act on (configuration, journal, disk, work folder): no stack trace.
    process.stderr.write(`paybatch: ${String(redact(failureLine(err)))}\n`);
    exitCode = 2;
  } else {
    process.stderr.write(`paybatch: unexpected error: ${String(redact((err as Error)?.stack ?? String(err)))}\n`);
    exitCode = 2;
  }
}
process.exitCode = exitCode;
// The log could not be written (a full disk): the work may be done, but its record is not. Said on stderr
// when it happened; the exit code (checked last, a late write may fail too) is one cron notices.
process.once('exit', () => {
  if (logWriteFailure()) process.exitCode = 2;
});
