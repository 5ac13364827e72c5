import { CliError, reportError, UsageError } from './cli-error.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { type CliIo, PromptCancelledError } from './io.js';

/**
 * Runs a command body and turns every failure into a report on standard error and an exit code,
 * so that an operator never sees a stack trace for something they can fix.
 */
export async function runCommand(
  io: CliIo,
  usage: readonly string[],
  body: () => Promise<ExitCode>,
): Promise<ExitCode> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      reportError(io, error);
      io.stderr('');
      for (const line of usage) io.stderr(line);
      return error.exitCode;
    }
    if (error instanceof CliError) {
      reportError(io, error);
      return error.exitCode;
    }
    if (error instanceof PromptCancelledError) {
      io.stderr('Cancelled: nothing was changed.');
      return EXIT_CODES.userError;
    }
    // Not expected: shown as is (our modules never put a secret in a message) for a bug report.
    const description = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    io.stderr(`Error: unexpected failure (${description}).`);
    return EXIT_CODES.serviceError;
  }
}
