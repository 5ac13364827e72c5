import { type ParsedOptions, parseCommandArgs, type TARGET_OPTIONS } from './args.js';
import { CliError, reportError, UsageError } from './cli-error.js';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { type CliIo, PromptCancelledError } from './io.js';

export interface CommandDefinition<T extends typeof TARGET_OPTIONS> {
  readonly usage: readonly string[];
  readonly options: T;
}

/**
 * Parses a command's arguments, answers `--help`, runs the body and turns every failure into a
 * report on standard error and an exit code, so that an operator never sees a stack trace for
 * something they can fix.
 */
export async function runCommand<T extends typeof TARGET_OPTIONS>(
  argv: readonly string[],
  io: CliIo,
  { usage, options }: CommandDefinition<T>,
  body: (values: ParsedOptions<T>) => Promise<ExitCode>,
): Promise<ExitCode> {
  try {
    const values = parseCommandArgs(argv, options);
    // Every command takes TARGET_OPTIONS, --help among them; the generic type cannot show it.
    if ((values as { readonly help?: boolean }).help) {
      for (const line of usage) io.stdout(line);
      return EXIT_CODES.ok;
    }
    return await body(values);
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
