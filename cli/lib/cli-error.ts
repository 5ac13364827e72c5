import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';

/**
 * A failure the operator can act on: a one-line headline, optional detail, and the steps to take.
 * Nothing in it may quote a code, token or secret.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: ExitCode;
  readonly nextSteps: readonly string[];
  readonly details: string | undefined;

  constructor(
    headline: string,
    options: { exitCode: ExitCode; nextSteps?: readonly string[]; details?: string; cause?: unknown },
  ) {
    super(headline, { cause: options.cause });
    this.exitCode = options.exitCode;
    this.nextSteps = options.nextSteps ?? [];
    this.details = options.details;
  }
}

/** Wrong arguments: the command prints its usage after the message. */
export class UsageError extends CliError {
  constructor(headline: string) {
    super(headline, { exitCode: EXIT_CODES.userError });
  }
}

export function reportError(io: CliIo, error: CliError): void {
  io.stderr(`Error: ${error.message}`);
  if (error.details) io.stderr(error.details);
  if (error.nextSteps.length === 0) return;
  io.stderr('What to do:');
  error.nextSteps.forEach((step, index) => {
    io.stderr(`  ${index + 1}. ${step}`);
  });
}
