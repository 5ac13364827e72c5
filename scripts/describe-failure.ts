/**
 * What a script prints when it fails: a mistyped option is the user's to fix, so it gets the usage
 * and no stack trace; anything else gets the stack, for a bug report.
 */
export function describeFailure(error: unknown, usage: string): string {
  const usageError =
    error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
  if (usageError) return `${error.message}\n\n${usage}`;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
