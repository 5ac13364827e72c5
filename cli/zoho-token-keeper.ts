#!/usr/bin/env node
/**
 * `npx zoho-token-keeper status|connect|disconnect [options]`: the operator commands of an
 * installed package (`npm run status` etc. in a checkout of this repository).
 */
import type { ExitCode } from './lib/exit-codes.js';
import { EXIT_CODES } from './lib/exit-codes.js';
import { type CliIo, runIfMain } from './lib/io.js';

type Command = (argv: readonly string[], io: CliIo) => Promise<ExitCode>;

// Loaded on demand, so each command pays only for its own modules.
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  status: async () => (await import('./status.js')).run,
  connect: async () => (await import('./connect.js')).run,
  disconnect: async () => (await import('./disconnect.js')).run,
};

const USAGE = `Usage: npx zoho-token-keeper <command> [options]

Commands:
  status       is the connection connected and healthy, and what to do if not
  connect      exchange a grant code from the Zoho API Console
  disconnect   revoke the refresh token at Zoho and clear the stored tokens

Run npx zoho-token-keeper <command> --help for a command's options.`;

export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(USAGE);
    return name === undefined ? EXIT_CODES.userError : EXIT_CODES.ok;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr(`Error: unknown command "${name}".\n\n${USAGE}`);
    return EXIT_CODES.userError;
  }
  return (await load())(rest, io);
}

runIfMain(import.meta.url, main);
