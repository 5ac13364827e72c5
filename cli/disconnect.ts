import type { ConnectionStatus, DisconnectResult } from '../functions/lib/connection-status.js';
import { commandLine, resolveTarget, TARGET_OPTIONS, TARGET_USAGE, type Target } from './lib/args.js';
import { CliError } from './lib/cli-error.js';
import { type CliClients, createClients } from './lib/clients.js';
import { runCommand } from './lib/command.js';
import { type Connection, connectionOf } from './lib/connection.js';
import { adviceFor } from './lib/contract-advice.js';
import { requestDisconnect, requestStatus } from './lib/exchange-function.js';
import { EXIT_CODES, type ExitCode } from './lib/exit-codes.js';
import { type CliIo, runIfMain } from './lib/io.js';
import { apiConsole, describeTarget } from './lib/output.js';

const OPTIONS = { ...TARGET_OPTIONS, yes: { type: 'boolean', short: 'y' } } as const;

const USAGE = [
  'Usage: npx zoho-token-keeper disconnect [--connection NAME] [--region R] [--profile P] [--yes]',
  '',
  "Has the connection's exchange function revoke the refresh token at Zoho, clear the stored tokens",
  '(the client id and secret are kept, so a later connect needs only a grant code) and cancel any pending',
  'follow-up refresh. The refresh schedule stays enabled; its runs make no Zoho call until you connect again.',
  '',
  '  -y, --yes           do not ask for confirmation (needed when not run in a terminal)',
  ...TARGET_USAGE,
  '',
  'Exit codes: 0 disconnected, 1 something to fix first (or not confirmed), 2 Zoho or AWS unavailable: retry later.',
];

const REVOCATION: Readonly<Record<DisconnectResult['refresh_token'], string>> = {
  revoked: 'Revoked the refresh token at Zoho, and every access token made from it.',
  'already-invalid': 'The refresh token was already invalid at Zoho (revoked or deleted before).',
  'none-stored': 'No refresh token was stored: nothing to revoke at Zoho.',
};

/** `npx zoho-token-keeper disconnect`: returns the exit code (see lib/exit-codes.ts). */
export async function run(
  argv: readonly string[],
  io: CliIo,
  deps: Partial<CliClients> = {},
): Promise<ExitCode> {
  return runCommand(argv, io, { usage: USAGE, options: OPTIONS }, async (values) => {
    const target = resolveTarget(values);
    if (!values.yes && !io.isTTY) {
      throw new CliError('Refusing to disconnect without confirmation: there is no terminal to ask.', {
        exitCode: EXIT_CODES.userError,
        nextSteps: [
          `Run it in a terminal, or confirm with --yes: ${commandLine('disconnect', target, ['--yes'])}`,
        ],
      });
    }
    const clients = createClients(target, deps);
    const connection = await connectionOf(clients, target);
    const status = await requestStatus(clients, connection, adviceFor(connection, undefined));

    describePlan(io, connection, status);
    if (!values.yes) await confirm(io, target);

    // One request: the function revokes first and clears only once Zoho answered, so a failure
    // leaves the connection working and running the command again is all it takes.
    const result = await requestDisconnect(clients, connection, adviceFor(connection, status.accounts_url));
    io.stdout('The exchange function:');
    io.stdout(`  - ${REVOCATION[result.refresh_token]}`);
    io.stdout('  - Cleared the stored tokens (the client id and secret are kept).');
    io.stdout('  - Cancelled any pending follow-up refresh.');
    io.stdout('Disconnected. Readers of the access token now get NotConnectedError until you connect again.');
    io.stdout(
      `The refresh schedule ${status.schedule_name} stays enabled: its runs make no Zoho call while not connected.`,
    );
    const kept = status.client_stored ? ' (the client id and secret were kept: only a code is needed)' : '';
    io.stdout(
      `To reconnect, generate a grant code in ${apiConsole(status.accounts_url)} ` +
        `(Self Client > Generate Code) and run ${commandLine('connect', target, ['--code', '<grant code>'])}${kept}.`,
    );
    return EXIT_CODES.ok;
  });
}

function describePlan(io: CliIo, connection: Connection, status: ConnectionStatus): void {
  io.stdout(`This disconnects ${describeTarget(connection.target, connection.region)}:`);
  io.stdout(
    status.connection_state === 'not-connected'
      ? '  - it is not connected, so there is no refresh token to revoke at Zoho;'
      : `  - revoke its refresh token at ${status.accounts_url ?? 'Zoho'}, and every access token made from it;`,
  );
  io.stdout('  - clear the stored tokens (the client id and secret are kept);');
  io.stdout('  - cancel any pending follow-up refresh.');
}

async function confirm(io: CliIo, target: Target): Promise<void> {
  const expected = target.connectionName;
  const answer = await io.prompt(`Type the connection name (${expected}) to confirm: `);
  if (answer.trim() !== expected) {
    throw new CliError('Not confirmed: nothing was changed.', { exitCode: EXIT_CODES.userError });
  }
}

runIfMain(import.meta.url, run);
